package dev.activationmonkey.analytics.report;

/** The firing rate of one neuron at one iteration, averaged over workers. */
public record NeuronIterationRow(long iteration, int neuron, double rate) {}
