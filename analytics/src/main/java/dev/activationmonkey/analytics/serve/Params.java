package dev.activationmonkey.analytics.serve;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A request's query parameters, decoded, each read with its check: a missing, repeated or malformed value is a
 * {@link HttpError#badRequest} naming the parameter and what it takes. Values never reach SQL as text: runs are
 * looked up among the dataset's runs, numbers are parsed, and queries bind them as parameters.
 */
final class Params {
  private static final int MAX_VALUE_LENGTH = 512;
  private final Map<String, String> values;

  private Params(Map<String, String> values) {
    this.values = values;
  }

  static Params of(URI uri, Set<String> allowed) {
    Map<String, String> values = new LinkedHashMap<>();
    String raw = uri.getRawQuery();
    if (raw != null && !raw.isEmpty()) {
      for (String pair : raw.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String name;
        String value;
        try {
          name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
          value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          throw HttpError.badRequest("Malformed query string: " + e.getMessage());
        }
        if (!allowed.contains(name)) {
          throw HttpError.badRequest("Unknown parameter '" + abbreviate(name) + "'; this endpoint takes: "
              + String.join(", ", allowed.stream().sorted().toList()));
        }
        if (value.length() > MAX_VALUE_LENGTH) {
          throw HttpError.badRequest("Parameter " + name + " is longer than " + MAX_VALUE_LENGTH + " characters");
        }
        if (values.putIfAbsent(name, value) != null && !name.equals("run")) {
          throw HttpError.badRequest("Parameter " + name + " is given twice");
        }
      }
      // "run" may repeat (comparisons): keep every value
      if (raw.contains("run=")) {
        values.remove("run");
        StringBuilder runs = new StringBuilder();
        for (String pair : raw.split("&")) {
          if (pair.startsWith("run=")) {
            runs.append(runs.isEmpty() ? "" : "\n")
                .append(URLDecoder.decode(pair.substring(4), StandardCharsets.UTF_8));
          }
        }
        values.put("run", runs.toString());
      }
    }
    return new Params(values);
  }

  String required(String name) {
    String v = values.get(name);
    if (v == null || v.isEmpty()) {
      throw HttpError.badRequest("Parameter " + name + " is required");
    }
    return v;
  }

  String optional(String name, String defaultValue) {
    String v = values.get(name);
    return v == null || v.isEmpty() ? defaultValue : v;
  }

  List<String> runs() {
    return List.of(required("run").split("\n"));
  }

  /** An integer in [min, max]. */
  int integer(String name, int min, int max, Integer defaultValue) {
    String v = values.get(name);
    if (v == null || v.isEmpty()) {
      if (defaultValue == null) {
        throw HttpError.badRequest("Parameter " + name + " is required (an integer from " + min + " to " + max + ")");
      }
      return defaultValue;
    }
    try {
      int i = Integer.parseInt(v);
      if (i < min || i > max) {
        throw HttpError.badRequest("Parameter " + name + " must be from " + min + " to " + max + ", got " + i);
      }
      return i;
    } catch (NumberFormatException e) {
      throw HttpError.badRequest("Parameter " + name + " must be an integer, got '" + abbreviate(v) + "'");
    }
  }

  /** One of the allowed words. */
  String choice(String name, List<String> allowed, String defaultValue) {
    String v = optional(name, defaultValue);
    if (!allowed.contains(v)) {
      throw HttpError.badRequest("Parameter " + name + " must be one of " + String.join(", ", allowed) + ", got '"
          + abbreviate(v) + "'");
    }
    return v;
  }

  static String abbreviate(String s) {
    String one = s.replaceAll("[\\r\\n\\t]", " ");
    return one.length() > 60 ? one.substring(0, 57) + "..." : one;
  }
}
