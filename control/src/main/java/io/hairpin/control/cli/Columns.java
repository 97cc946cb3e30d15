package io.hairpin.control.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain text table for the terminal: a header row, columns two spaces apart, numbers right-aligned. */
final class Columns {

    private final List<String[]> rows = new ArrayList<>();
    private final boolean[] right;

    Columns(String... headers) {
        rows.add(headers);
        right = new boolean[headers.length];
    }

    /** Right-aligns these columns (counts, durations). */
    Columns right(int... columns) {
        for (int c : columns) {
            right[c] = true;
        }
        return this;
    }

    Columns add(Object... cells) {
        if (cells.length != right.length) {
            throw new IllegalArgumentException("expected " + right.length + " cells, got " + cells.length);
        }
        String[] row = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            row[i] = ClientCommand.orDash(cells[i]).replaceAll("\\s*\\R\\s*", " ");
        }
        rows.add(row);
        return this;
    }

    /** Whether only the header row is there. */
    boolean isEmpty() {
        return rows.size() == 1;
    }

    /** Prints the rows without the header row (a key/value block: {@code new Columns("", "")}). */
    void printWithoutHeader(PrintWriter out) {
        String[] header = rows.remove(0);
        try {
            print(out, "");
        } finally {
            rows.add(0, header);
        }
    }

    void print(PrintWriter out, String indent) {
        int[] widths = new int[right.length];
        for (String[] row : rows) {
            for (int c = 0; c < row.length; c++) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder(indent);
            for (int c = 0; c < row.length; c++) {
                String pad = " ".repeat(widths[c] - row[c].length());
                line.append(right[c] ? pad + row[c] : row[c] + pad);
                if (c < row.length - 1) {
                    line.append("  ");
                }
            }
            out.println(line.toString().stripTrailing());
        }
    }
}
