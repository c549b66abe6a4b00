package dev.activationmonkey.trainer.data;

import java.io.Serializable;

/**
 * One labelled example as read from its source, before normalisation.
 *
 * @param index the example's number in its source (0-based, in file order): with the data seed it fixes where the
 *     example goes (train or test, which worker)
 */
public record Example(long index, float[] features, int label) implements Serializable {}
