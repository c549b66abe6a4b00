package dev.activationmonkey.analytics.report;

import java.util.ArrayList;
import java.util.List;

/** A plain aligned text table: left-aligned text, right-aligned numbers. */
public final class TextTable {
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  public TextTable(List<String> header) {
    this.header = List.copyOf(header);
  }

  public TextTable row(List<String> cells) {
    rows.add(List.copyOf(cells));
    return this;
  }

  public String render(String indent) {
    int[] width = new int[header.size()];
    boolean[] numeric = new boolean[header.size()];
    java.util.Arrays.fill(numeric, true);
    for (int i = 0; i < header.size(); i++) {
      width[i] = header.get(i).length();
    }
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        width[i] = Math.max(width[i], row.get(i).length());
        numeric[i] &= looksNumeric(row.get(i));
      }
    }
    StringBuilder sb = new StringBuilder();
    line(sb, indent, header, width, numeric);
    StringBuilder rule = new StringBuilder();
    for (int i = 0; i < width.length; i++) {
      rule.append(i == 0 ? "" : "  ").append("-".repeat(width[i]));
    }
    sb.append(indent).append(rule).append('\n');
    for (List<String> row : rows) {
      line(sb, indent, row, width, numeric);
    }
    return sb.toString();
  }

  private static void line(StringBuilder sb, String indent, List<String> cells, int[] width, boolean[] numeric) {
    StringBuilder line = new StringBuilder(indent);
    for (int i = 0; i < cells.size(); i++) {
      String c = cells.get(i);
      String pad = " ".repeat(width[i] - c.length());
      line.append(i == 0 ? "" : "  ").append(numeric[i] ? pad + c : c + pad);
    }
    sb.append(line.toString().stripTrailing()).append('\n');
  }

  /** The same table as an HTML table element (cells escaped). */
  public String html() {
    StringBuilder sb = new StringBuilder("<table><tr>");
    header.forEach(h -> sb.append("<th>").append(HtmlReport.esc(h)).append("</th>"));
    sb.append("</tr>");
    for (List<String> row : rows) {
      sb.append("<tr>");
      row.forEach(c -> sb.append(looksNumeric(c) ? "<td>" : "<td class='t'>").append(HtmlReport.esc(c)).append("</td>"));
      sb.append("</tr>");
    }
    return sb.append("</table>").toString();
  }

  static boolean looksNumeric(String s) {
    return s.equals("-") || s.matches("[-+]?[0-9.]+(e[-+]?[0-9]+)?%?|-?inf|NaN");
  }
}
