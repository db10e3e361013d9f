package io.jkvm.bench;

import java.util.List;

/** A plain-text table: the first row is the header, underlined; names left-aligned, figures right-aligned. */
final class Table {
    private Table() {
    }

    /** rows[0] is the header; the first nameColumns columns are names. */
    static String format(List<String[]> rows, int nameColumns) {
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < rows.size(); k++) {
            String[] r = rows.get(k);
            for (int i = 0; i < r.length; i++) {
                String f = i < nameColumns ? "%-" + width[i] + "s" : "%" + width[i] + "s";
                sb.append(String.format(f, r[i])).append(i == r.length - 1 ? "" : "  ");
            }
            sb.append('\n');
            if (k == 0) {
                int total = 0;
                for (int w : width) {
                    total += w + 2;
                }
                sb.append("-".repeat(total - 2)).append('\n');
            }
        }
        return sb.toString();
    }
}
