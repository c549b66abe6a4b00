package dev.activationmonkey.collector.parquet;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;
import org.apache.parquet.io.api.Binary;
import dev.activationmonkey.collector.parquet.PrimitiveLists.DoubleList;
import dev.activationmonkey.collector.parquet.PrimitiveLists.FloatList;
import dev.activationmonkey.collector.parquet.PrimitiveLists.IntList;
import dev.activationmonkey.collector.parquet.PrimitiveLists.LongList;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * One column of a table: its Parquet type and how a row's value is written. A table is a list of
 * columns, so the schema and the write order come from one definition and cannot drift apart.
 *
 * <p>Values go straight to Parquet's column writers with their repetition and definition levels,
 * not through the {@code RecordConsumer} event API: that API costs a startGroup/startField/endField/
 * endGroup round of bookkeeping per list element, and per-neuron vectors have hundreds of elements
 * per row (it was the largest share of the collector's profile).
 *
 * <p>Lists use the three-level structure of the Parquet spec ({@code <name> (LIST) { repeated group
 * list { required element } }}) that DuckDB, Spark and pyarrow all read as {@code list<...>}. Lists
 * and maps are top-level columns; struct fields inside a list are scalars.
 */
public final class Column<T> {
  /**
   * Writes one row's value of a column to its leaf column writers, starting at {@code leaf}.
   * {@code r} is the repetition level the value starts at, {@code d} the definition level of its
   * parent (every ancestor defined): a required value is written at {@code d}, a present optional one at
   * {@code d + 1}, a null at {@code d}.
   */
  @FunctionalInterface
  interface ValueWriter<T> {
    void write(T row, Leaves out, int leaf, int r, int d);
  }

  private final Type type;
  private final int leaves;
  private final ValueWriter<T> writer;

  private Column(Type type, ValueWriter<T> writer) {
    this.type = requireNonNull(type, "type is null");
    this.writer = requireNonNull(writer, "writer is null");
    this.leaves = leafCount(type);
  }

  public String name() {
    return type.getName();
  }

  public Type type() {
    return type;
  }

  /** Primitive (leaf) columns under this column: 1 for a scalar or a list of scalars. */
  int leaves() {
    return leaves;
  }

  void write(T row, Leaves out, int leaf, int r, int d) {
    writer.write(row, out, leaf, r, d);
  }

  private static int leafCount(Type type) {
    if (type.isPrimitive()) {
      return 1;
    }
    int n = 0;
    for (Type field : type.asGroupType().getFields()) {
      n += leafCount(field);
    }
    return n;
  }

  // ---- scalars

  public static <T> Column<T> int32(String name, ToIntFunction<T> value) {
    return new Column<>(Types.required(PrimitiveTypeName.INT32).named(name),
        (row, out, leaf, r, d) -> out.writers[leaf].write(value.applyAsInt(row), r, d));
  }

  public static <T> Column<T> optionalInt32(String name, Function<T, Integer> value) {
    return new Column<>(Types.optional(PrimitiveTypeName.INT32).named(name), (row, out, leaf, r, d) -> {
      Integer v = value.apply(row);
      if (v != null) {
        out.writers[leaf].write(v, r, d + 1);
      } else {
        out.writers[leaf].writeNull(r, d);
      }
    });
  }

  public static <T> Column<T> int64(String name, ToLongFunction<T> value) {
    return new Column<>(Types.required(PrimitiveTypeName.INT64).named(name),
        (row, out, leaf, r, d) -> out.writers[leaf].write(value.applyAsLong(row), r, d));
  }

  public static <T> Column<T> optionalInt64(String name, Function<T, Long> value) {
    return new Column<>(Types.optional(PrimitiveTypeName.INT64).named(name), (row, out, leaf, r, d) -> {
      Long v = value.apply(row);
      if (v != null) {
        out.writers[leaf].write(v, r, d + 1);
      } else {
        out.writers[leaf].writeNull(r, d);
      }
    });
  }

  /** A UTC instant in milliseconds ({@code TIMESTAMP(MILLIS, true)}: DuckDB TIMESTAMPTZ, Spark TIMESTAMP). */
  public static <T> Column<T> timestampMillis(String name, ToLongFunction<T> value) {
    Type type = Types.required(PrimitiveTypeName.INT64)
        .as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MILLIS))
        .named(name);
    return new Column<>(type, (row, out, leaf, r, d) -> out.writers[leaf].write(value.applyAsLong(row), r, d));
  }

  public static <T> Column<T> float64(String name, ToDoubleFunction<T> value) {
    return new Column<>(Types.required(PrimitiveTypeName.DOUBLE).named(name),
        (row, out, leaf, r, d) -> out.writers[leaf].write(value.applyAsDouble(row), r, d));
  }

  public static <T> Column<T> optionalFloat64(String name, Function<T, Double> value) {
    return new Column<>(Types.optional(PrimitiveTypeName.DOUBLE).named(name), (row, out, leaf, r, d) -> {
      Double v = value.apply(row);
      if (v != null) {
        out.writers[leaf].write(v, r, d + 1);
      } else {
        out.writers[leaf].writeNull(r, d);
      }
    });
  }

  public static <T> Column<T> string(String name, Function<T, String> value) {
    return new Column<>(stringType(Type.Repetition.REQUIRED, name),
        (row, out, leaf, r, d) -> out.writers[leaf].write(out.utf8(leaf, value.apply(row)), r, d));
  }

  public static <T> Column<T> optionalString(String name, Function<T, String> value) {
    return new Column<>(stringType(Type.Repetition.OPTIONAL, name), (row, out, leaf, r, d) -> {
      String v = value.apply(row);
      if (v != null) {
        out.writers[leaf].write(out.utf8(leaf, v), r, d + 1);
      } else {
        out.writers[leaf].writeNull(r, d);
      }
    });
  }

  // ---- lists of primitives (null list = null value; elements are never null)
  //
  // Levels of an optional top-level list: null list d=0, empty list d=1, element d=2; the first
  // element starts the row (r=0), the others repeat the list (r=1).

  public static <T> Column<T> float64List(String name, Function<T, List<Double>> value) {
    return primitiveList(name, PrimitiveTypeName.DOUBLE, value, (out, list, i, r, d) -> {
      if (list instanceof DoubleList p) {
        out.write(p.getDouble(i), r, d);
      } else {
        out.write(list.get(i).doubleValue(), r, d);
      }
    });
  }

  public static <T> Column<T> float32List(String name, Function<T, List<Float>> value) {
    return primitiveList(name, PrimitiveTypeName.FLOAT, value, (out, list, i, r, d) -> {
      if (list instanceof FloatList p) {
        out.write(p.getFloat(i), r, d);
      } else {
        out.write(list.get(i).floatValue(), r, d);
      }
    });
  }

  public static <T> Column<T> int64List(String name, Function<T, List<Long>> value) {
    return primitiveList(name, PrimitiveTypeName.INT64, value, (out, list, i, r, d) -> {
      if (list instanceof LongList p) {
        out.write(p.getLong(i), r, d);
      } else {
        out.write(list.get(i).longValue(), r, d);
      }
    });
  }

  public static <T> Column<T> int32List(String name, Function<T, List<Integer>> value) {
    return primitiveList(name, PrimitiveTypeName.INT32, value, (out, list, i, r, d) -> {
      if (list instanceof IntList p) {
        out.write(p.getInt(i), r, d);
      } else {
        out.write(list.get(i).intValue(), r, d);
      }
    });
  }

  /** Writes element {@code i} of a list; primitive-backed lists (from the snapshot reader) are read without unboxing. */
  private interface ElementWriter<E> {
    void add(ColumnWriter out, List<E> list, int i, int r, int d);
  }

  private static <T, E> Column<T> primitiveList(
      String name, PrimitiveTypeName elementType, Function<T, List<E>> value, ElementWriter<E> add) {
    Type type = listType(name, Types.required(elementType).named("element"));
    return new Column<>(type, (row, out, leaf, r, d) -> {
      List<E> list = value.apply(row);
      ColumnWriter column = out.writers[leaf];
      if (list == null) {
        column.writeNull(r, d);
      } else if (list.isEmpty()) {
        column.writeNull(r, d + 1);
      } else {
        int repeated = r + 1;
        int rep = r;
        for (int i = 0, n = list.size(); i < n; i++) {
          add.add(column, list, i, rep, d + 2);
          rep = repeated;
        }
      }
    });
  }

  /** A list of structs, each struct written by its own (scalar) columns. */
  public static <T, E> Column<T> structList(String name, Function<T, List<E>> value, List<Column<E>> fields) {
    Type element = Types.requiredGroup().addFields(fields.stream().map(Column::type).toArray(Type[]::new)).named("element");
    Column<T> column = new Column<>(listType(name, element), (row, out, leaf, r, d) -> {
      List<E> list = value.apply(row);
      if (list == null || list.isEmpty()) {
        int level = list == null ? d : d + 1;
        int l = leaf;
        for (Column<E> field : fields) {
          for (int k = 0; k < field.leaves(); k++) {
            out.writers[l++].writeNull(r, level);
          }
        }
        return;
      }
      int rep = r;
      for (E e : list) {
        int l = leaf;
        for (Column<E> field : fields) {
          field.write(e, out, l, rep, d + 2); // list (d+1) and its repeated group (d+2) defined; element required
          l += field.leaves();
        }
        rep = r + 1;
      }
    });
    return column;
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
    return new Column<>(type, (row, out, leaf, r, d) -> {
      Map<String, String> map = value.apply(row);
      ColumnWriter keys = out.writers[leaf];
      ColumnWriter values = out.writers[leaf + 1];
      if (map == null || map.isEmpty()) {
        int level = map == null ? d : d + 1;
        keys.writeNull(r, level);
        values.writeNull(r, level);
        return;
      }
      int rep = r;
      for (Map.Entry<String, String> e : map.entrySet()) {
        keys.write(out.utf8(leaf, e.getKey()), rep, d + 2);
        if (e.getValue() != null) {
          values.write(out.utf8(leaf + 1, e.getValue()), rep, d + 3);
        } else {
          values.writeNull(rep, d + 2);
        }
        rep = r + 1;
      }
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
