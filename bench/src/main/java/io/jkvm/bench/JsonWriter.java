package io.jkvm.bench;

/** Just enough JSON for the results file: objects, arrays, strings, numbers (NaN as null), indented. */
final class JsonWriter {
    private final StringBuilder sb = new StringBuilder();
    private int depth;
    /** Whether the current object or array already has a member (a comma goes before the next). */
    private final boolean[] hasMember = new boolean[32];

    JsonWriter beginObject(String name) {
        return open(name, '{');
    }

    JsonWriter beginArray(String name) {
        return open(name, '[');
    }

    JsonWriter endObject() {
        return close('}');
    }

    JsonWriter endArray() {
        return close(']');
    }

    JsonWriter value(String name, String v) {
        member(name);
        if (v == null) {
            sb.append("null");
        } else {
            quote(v);
        }
        return this;
    }

    JsonWriter value(String name, long v) {
        member(name);
        sb.append(v);
        return this;
    }

    JsonWriter value(String name, double v) {
        member(name);
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            sb.append("null");
        } else if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            sb.append((long) v);
        } else {
            sb.append(v); // Double.toString is a valid JSON number for every finite value
        }
        return this;
    }

    @Override
    public String toString() {
        return sb.append('\n').toString();
    }

    private JsonWriter open(String name, char bracket) {
        member(name);
        sb.append(bracket);
        hasMember[++depth] = false;
        return this;
    }

    private JsonWriter close(char bracket) {
        boolean any = hasMember[depth--];
        if (any) {
            newline();
        }
        sb.append(bracket);
        return this;
    }

    /** Comma and indentation before a member; name is null inside arrays and for the top level. */
    private void member(String name) {
        if (depth > 0) {
            if (hasMember[depth]) {
                sb.append(',');
            }
            hasMember[depth] = true;
            newline();
        }
        if (name != null) {
            quote(name);
            sb.append(": ");
        }
    }

    private void newline() {
        sb.append('\n').append("  ".repeat(depth));
    }

    private void quote(String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
