package dev.activationmonkey.trainer.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.activationmonkey.errors.InvalidInputException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A YAML mapping being read into a spec, with the key path for messages. Every getter records the key it
 * read; {@link #done()} then rejects keys nobody read (typos), naming the ones allowed.
 */
final class SpecNode {
  private final JsonNode node;
  private final String path;
  private final String source;
  private final Set<String> known = new LinkedHashSet<>();

  SpecNode(JsonNode node, String path, String source) {
    this.node = node == null ? MissingNode.getInstance() : node;
    this.path = path;
    this.source = source;
    if (!this.node.isMissingNode() && !this.node.isNull() && !this.node.isObject()) {
      throw invalid(path, "expected a mapping of keys to values, got " + describe(this.node));
    }
  }

  String path() {
    return path;
  }

  private String keyPath(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  InvalidInputException invalid(String keyPath, String message) {
    return new InvalidInputException(source + ": " + keyPath + ": " + message);
  }

  InvalidInputException invalidKey(String key, String message) {
    return invalid(keyPath(key), message);
  }

  private JsonNode get(String key) {
    known.add(key);
    JsonNode value = node.get(key);
    return value == null || value.isNull() ? null : value;
  }

  boolean has(String key) {
    known.add(key);
    JsonNode value = node.get(key);
    return value != null && !value.isNull();
  }

  String string(String key, String defaultValue) {
    JsonNode value = get(key);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isValueNode() || value.asText().isBlank()) {
      throw invalidKey(key, "expected a non-empty text, got " + describe(value));
    }
    return value.asText();
  }

  String requiredString(String key, String hint) {
    String value = string(key, null);
    if (value == null) {
      throw invalidKey(key, "required (" + hint + ")");
    }
    return value;
  }

  /** One of {@code allowed} (compared case-insensitively), returned lower-case. */
  String choice(String key, String defaultValue, List<String> allowed) {
    String value = string(key, defaultValue);
    if (value == null) {
      return null;
    }
    String lower = value.toLowerCase(Locale.ROOT);
    if (!allowed.contains(lower)) {
      throw invalidKey(key, "unknown value '" + value + "'; allowed: " + String.join(", ", allowed));
    }
    return lower;
  }

  long integer(String key, long defaultValue, long min, long max) {
    JsonNode value = get(key);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isIntegralNumber() && !(value.isTextual() && value.asText().matches("-?\\d+"))) {
      throw invalidKey(key, "expected a whole number, got " + describe(value));
    }
    long v = value.asLong();
    if (v < min || v > max) {
      throw invalidKey(key, v + " is out of range; allowed: " + range(min, max));
    }
    return v;
  }

  int integer(String key, int defaultValue, int min, int max) {
    return (int) integer(key, (long) defaultValue, min, max);
  }

  double number(String key, double defaultValue, double min, double max) {
    JsonNode value = get(key);
    if (value == null) {
      return defaultValue;
    }
    double v;
    if (value.isNumber()) {
      v = value.asDouble();
    } else if (value.isTextual()) {
      try {
        v = Double.parseDouble(value.asText());
      } catch (NumberFormatException e) {
        throw invalidKey(key, "expected a number, got " + describe(value));
      }
    } else {
      throw invalidKey(key, "expected a number, got " + describe(value));
    }
    if (!(v >= min && v <= max)) {
      throw invalidKey(key, v + " is out of range; allowed: " + min + " to " + max);
    }
    return v;
  }

  Double optionalNumber(String key, double min, double max) {
    return has(key) ? number(key, 0, min, max) : null;
  }

  boolean bool(String key, boolean defaultValue) {
    JsonNode value = get(key);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isBoolean()) {
      throw invalidKey(key, "expected true or false, got " + describe(value));
    }
    return value.asBoolean();
  }

  SpecNode object(String key) {
    return new SpecNode(get(key), keyPath(key), source);
  }

  List<SpecNode> objects(String key) {
    JsonNode value = get(key);
    List<SpecNode> list = new ArrayList<>();
    if (value == null) {
      return list;
    }
    if (!value.isArray()) {
      throw invalidKey(key, "expected a list, got " + describe(value));
    }
    for (int i = 0; i < value.size(); i++) {
      list.add(new SpecNode(value.get(i), keyPath(key) + "[" + i + "]", source));
    }
    return list;
  }

  List<String> strings(String key, List<String> defaultValue) {
    JsonNode value = get(key);
    if (value == null) {
      return defaultValue;
    }
    List<String> list = new ArrayList<>();
    if (value.isValueNode()) {
      list.add(value.asText());
      return list;
    }
    if (!value.isArray()) {
      throw invalidKey(key, "expected a list of texts, got " + describe(value));
    }
    for (JsonNode item : value) {
      if (!item.isValueNode()) {
        throw invalidKey(key, "expected a list of texts, got an item " + describe(item));
      }
      list.add(item.asText());
    }
    return list;
  }

  int[] pair(String key, int[] defaultValue) {
    JsonNode value = get(key);
    if (value == null) {
      return defaultValue;
    }
    if (value.isInt() && value.asInt() > 0) {
      return new int[] {value.asInt(), value.asInt()};
    }
    if (!value.isArray() || value.size() != 2 || !value.get(0).isInt() || !value.get(1).isInt()
        || value.get(0).asInt() < 0 || value.get(1).asInt() < 0) {
      throw invalidKey(key, "expected a non-negative whole number or a list of two, e.g. [5, 5]; got " + describe(value));
    }
    return new int[] {value.get(0).asInt(), value.get(1).asInt()};
  }

  Map<String, String> stringMap(String key) {
    JsonNode value = get(key);
    Map<String, String> map = new LinkedHashMap<>();
    if (value == null) {
      return map;
    }
    if (!value.isObject()) {
      throw invalidKey(key, "expected a mapping of names to values, got " + describe(value));
    }
    Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> e = fields.next();
      if (!e.getValue().isValueNode()) {
        throw invalid(keyPath(key) + "." + e.getKey(), "expected a text or number, got " + describe(e.getValue()));
      }
      map.put(e.getKey(), e.getValue().asText());
    }
    return map;
  }

  /** Fails on keys that no getter read. Call after reading every key of this mapping. */
  void done() {
    if (!node.isObject()) {
      return;
    }
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!known.contains(name)) {
        throw invalidKey(name, "unknown key; allowed here: " + String.join(", ", new TreeSet<>(known)));
      }
    }
  }

  private static String range(long min, long max) {
    if (max == Long.MAX_VALUE || max == Integer.MAX_VALUE) {
      return ">= " + min;
    }
    return min + " to " + max;
  }

  static String describe(JsonNode value) {
    if (value.isTextual()) {
      return "'" + value.asText() + "'";
    }
    if (value.isArray()) {
      return "a list";
    }
    if (value.isObject()) {
      return "a mapping";
    }
    return value.toString();
  }
}
