package io.hairpin.control.config;

import java.util.Comparator;
import java.util.Objects;

/**
 * A position in a config file, 1-based as editors show it. Line and column 0 mean "the file as a whole"
 * (a missing file, an unreadable one).
 */
public record SourceLocation(String file, int line, int column) {

    static final Comparator<SourceLocation> IN_FILE_ORDER =
            Comparator.comparing(SourceLocation::file).thenComparingInt(SourceLocation::line).thenComparingInt(SourceLocation::column);

    public SourceLocation {
        Objects.requireNonNull(file, "file");
        if (line < 0 || column < 0) {
            throw new IllegalArgumentException("line and column must be >= 0: " + line + ":" + column);
        }
    }

    /** The file as a whole, with no particular line. */
    public static SourceLocation ofFile(String file) {
        return new SourceLocation(file, 0, 0);
    }

    /** {@code file:line:column}, or just {@code file} for the file as a whole. */
    @Override
    public String toString() {
        return line == 0 ? file : file + ":" + line + ":" + column;
    }
}
