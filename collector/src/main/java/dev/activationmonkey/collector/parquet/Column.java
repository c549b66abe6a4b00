package dev.activationmonkey.collector.parquet;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * One column of a table: its Parquet type and how a row's value is written. A table is a list of
 * columns, so the schema and the write order come from one definition and cannot drift apart.
 *
 * <p>Lists use the three-level structure of the Parquet spec ({@code <name> (LIST) { repeated group
 * list { required element } }}) that DuckDB, Spark and pyarrow all read as {@code list<...>}.
 */
public final class Column<T> {
  /** Writes one row's value of a column; writes nothing at all for a null value. */
  @FunctionalInterface
  interface ValueWriter<T> {
    void write(T row, RecordConsumer out, String name, int index);
  }

  private final Type type;
  private final ValueWriter<T> writer;

  private Column(Type type, ValueWriter<T> writer) {
    this.type = requireNonNull(type, "type is null");
    this.writer = requireNonNull(writer, "writer is null");
  }

  public String name() {
    return type.getName();
  }

  public Type type() {
    return type;
  }

  void write(T row, RecordConsumer out, int index) {
    writer.write(row, out, type.getName(), index);
  }

  // ---- scalars

  public static <T> Column<T> int32(String name, ToIntFunction<T> value) {
    return new Column<>(Types.required(PrimitiveTypeName.INT32).named(name), (row, out, n, i) -> {
      out.startField(n, i);
      out.addInteger(value.applyAsInt(row));
      out.endField(n, i);
    });
  }

  public static <T> Column<T> optionalInt32(String name, Function<T, Integer> value) {
    return new Column<>(Types.optional(PrimitiveTypeName.INT32).named(name), (row, out, n, i) -> {
      Integer v = value.apply(row);
      if (v != null) {
        out.startField(n, i);
        out.addInteger(v);
        out.endField(n, i);
      }
    });
  }

  public static <T> Column<T> int64(String name, ToLongFunction<T> value) {
    return new Column<>(Types.required(PrimitiveTypeName.INT64).named(name), (row, out, n, i) -> {
      out.startField(n, i);
      out.addLong(value.applyAsLong(row));
      out.endField(n, i);
    });
  }

  /** A UTC instant in milliseconds ({@code TIMESTAMP(MILLIS, true)}: DuckDB TIMESTAMPTZ, Spark TIMESTAMP). */
  public static <T> Column<T> timestampMillis(String name, ToLongFunction<T> value) {
    Type type = Types.required(PrimitiveTypeName.INT64)
        .as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MILLIS))
        .named(name);
    return new Column<>(type, (row, out, n, i) -> {
      out.startField(n, i);
      out.addLong(value.applyAsLong(row));
      out.endField(n, i);
    });
  }

  public static <T> Column<T> float64(String name, ToDoubleFunction<T> value) {
    return new Column<>(Types.required(PrimitiveTypeName.DOUBLE).named(name), (row, out, n, i) -> {
      out.startField(n, i);
      out.addDouble(value.applyAsDouble(row));
      out.endField(n, i);
    });
  }

  public static <T> Column<T> optionalFloat64(String name, Function<T, Double> value) {
    return new Column<>(Types.optional(PrimitiveTypeName.DOUBLE).named(name), (row, out, n, i) -> {
      Double v = value.apply(row);
      if (v != null) {
        out.startField(n, i);
        out.addDouble(v);
        out.endField(n, i);
      }
    });
  }

  public static <T> Column<T> string(String name, Function<T, String> value) {
    return new Column<>(stringType(Type.Repetition.REQUIRED, name), (row, out, n, i) -> {
      out.startField(n, i);
      out.addBinary(Binary.fromString(value.apply(row)));
      out.endField(n, i);
    });
  }

  public static <T> Column<T> optionalString(String name, Function<T, String> value) {
    return new Column<>(stringType(Type.Repetition.OPTIONAL, name), (row, out, n, i) -> {
      String v = value.apply(row);
      if (v != null) {
        out.startField(n, i);
        out.addBinary(Binary.fromString(v));
        out.endField(n, i);
      }
    });
  }

  // ---- lists of primitives (null list = null value; elements are never null)

  public static <T> Column<T> float64List(String name, Function<T, List<Double>> value) {
    return primitiveList(name, PrimitiveTypeName.DOUBLE, value, (out, e) -> out.addDouble(e));
  }

  public static <T> Column<T> float32List(String name, Function<T, List<Float>> value) {
    return primitiveList(name, PrimitiveTypeName.FLOAT, value, (out, e) -> out.addFloat(e));
  }

  public static <T> Column<T> int64List(String name, Function<T, List<Long>> value) {
    return primitiveList(name, PrimitiveTypeName.INT64, value, (out, e) -> out.addLong(e));
  }

  public static <T> Column<T> int32List(String name, Function<T, List<Integer>> value) {
    return primitiveList(name, PrimitiveTypeName.INT32, value, (out, e) -> out.addInteger(e));
  }

  private interface ElementWriter<E> {
    void add(RecordConsumer out, E element);
  }

  private static <T, E> Column<T> primitiveList(
      String name, PrimitiveTypeName elementType, Function<T, List<E>> value, ElementWriter<E> add) {
    Type type = listType(name, Types.required(elementType).named("element"));
    return new Column<>(type, (row, out, n, i) -> {
      List<E> list = value.apply(row);
      if (list == null) {
        return;
      }
      out.startField(n, i);
      out.startGroup();
      if (!list.isEmpty()) {
        out.startField("list", 0);
        for (E element : list) {
          out.startGroup();
          out.startField("element", 0);
          add.add(out, element);
          out.endField("element", 0);
          out.endGroup();
        }
        out.endField("list", 0);
      }
      out.endGroup();
      out.endField(n, i);
    });
  }

  /** A list of structs, each struct written by its own columns. */
  public static <T, E> Column<T> structList(String name, Function<T, List<E>> value, List<Column<E>> fields) {
    Type element = Types.requiredGroup().addFields(fields.stream().map(Column::type).toArray(Type[]::new)).named("element");
    return new Column<>(listType(name, element), (row, out, n, i) -> {
      List<E> list = value.apply(row);
      if (list == null) {
        return;
      }
      out.startField(n, i);
      out.startGroup();
      if (!list.isEmpty()) {
        out.startField("list", 0);
        for (E e : list) {
          out.startGroup();
          out.startField("element", 0);
          out.startGroup();
          for (int f = 0; f < fields.size(); f++) {
            fields.get(f).write(e, out, f);
          }
          out.endGroup();
          out.endField("element", 0);
          out.endGroup();
        }
        out.endField("list", 0);
      }
      out.endGroup();
      out.endField(n, i);
    });
  }

  /** {@code map<string, string>} in the spec's MAP layout. */
  public static <T> Column<T> stringMap(String name, Function<T, Map<String, String>> value) {
    Type type = Types.optionalGroup()
        .as(LogicalTypeAnnotation.mapType())
        .addField(Types.repeatedGroup()
            .addField(stringType(Type.Repetition.REQUIRED, "key"))
            .addField(stringType(Type.Repetition.OPTIONAL, "value"))
            .named("key_value"))
        .named(name);
    return new Column<>(type, (row, out, n, i) -> {
      Map<String, String> map = value.apply(row);
      if (map == null) {
        return;
      }
      out.startField(n, i);
      out.startGroup();
      if (!map.isEmpty()) {
        out.startField("key_value", 0);
        for (Map.Entry<String, String> e : map.entrySet()) {
          out.startGroup();
          out.startField("key", 0);
          out.addBinary(Binary.fromString(e.getKey()));
          out.endField("key", 0);
          if (e.getValue() != null) {
            out.startField("value", 1);
            out.addBinary(Binary.fromString(e.getValue()));
            out.endField("value", 1);
          }
          out.endGroup();
        }
        out.endField("key_value", 0);
      }
      out.endGroup();
      out.endField(n, i);
    });
  }

  private static Type stringType(Type.Repetition repetition, String name) {
    return Types.primitive(PrimitiveTypeName.BINARY, repetition).as(LogicalTypeAnnotation.stringType()).named(name);
  }

  private static Type listType(String name, Type element) {
    return Types.optionalGroup()
        .as(LogicalTypeAnnotation.listType())
        .addField(Types.repeatedGroup().addField(element).named("list"))
        .named(name);
  }
}
