package dev.activationmonkey.collector.parquet;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/** A dataset table: its name (the directory under the dataset root) and its columns. */
public final class Table<T> {
  private final String name;
  private final List<Column<T>> columns;
  private final MessageType schema;

  public Table(String name, List<Column<T>> columns) {
    this.name = requireNonNull(name, "name is null");
    this.columns = List.copyOf(columns);
    this.schema = new MessageType(name, this.columns.stream().map(Column::type).toArray(Type[]::new));
  }

  public String name() {
    return name;
  }

  public List<Column<T>> columns() {
    return columns;
  }

  public MessageType schema() {
    return schema;
  }

  /** Writes one row to the leaf column writers, in {@code schema().getColumns()} order; the caller ends the record. */
  void write(T row, Leaves out) {
    int leaf = 0;
    for (int i = 0, n = columns.size(); i < n; i++) {
      Column<T> column = columns.get(i);
      column.write(row, out, leaf, 0, 0);
      leaf += column.leaves();
    }
  }
}
