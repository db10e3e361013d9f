package io.jkvm.bench;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads the lines of blkbench (guest-images/programs/blkbench.c) and the guest /init's exit line from the console.
 * Lines that are neither (kernel messages, the shell) are not ours and give null; a line that starts like ours but
 * does not follow the format is an error naming the line and what is wrong with it, never a guess.
 */
final class GuestLineParser {
    static final String START = "BENCH-START";
    static final String END = "BENCH-END";
    static final String RESULT = "BENCH";
    static final String DONE = "BENCH-DONE";
    static final String ERROR = "BENCH-ERROR";
    static final String INIT_EXIT = "jkvm-init: exit ";

    /** The keys every result line has; blkbench prints more, which are optional here. */
    static final List<String> REQUIRED = List.of("name", "requests", "seconds", "rps", "p50_us", "p99_us");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    private GuestLineParser() {
    }

    /** The protocol line this is, or null when the line is not one of ours. */
    static GuestLine parse(String raw) {
        String line = raw.strip();
        if (line.startsWith(INIT_EXIT)) {
            return new GuestLine.InitExit((int) integer(line, "status", line.substring(INIT_EXIT.length()), 0));
        }
        String[] words = WHITESPACE.split(line);
        if (!words[0].equals(RESULT) && !words[0].startsWith(RESULT + "-")) {
            return null;
        }
        switch (words[0]) {
            case START:
                return new GuestLine.Start(onlyName(line, words));
            case END:
                return new GuestLine.End(onlyName(line, words));
            case DONE: {
                Map<String, String> kv = keyValues(line, words);
                requireKeys(line, kv, List.of("workloads"));
                return new GuestLine.Done((int) integer(line, "workloads", kv.get("workloads"), 0));
            }
            case ERROR: {
                if (words.length < 2) {
                    throw malformed(line, "BENCH-ERROR needs a workload name and a message");
                }
                String message = line.substring(line.indexOf(words[1], words[0].length()) + words[1].length()).strip();
                return new GuestLine.Error(words[1], message.isEmpty() ? "(no message)" : message);
            }
            case RESULT:
                return new GuestLine.Result(result(line, words));
            default:
                throw malformed(line, "unknown line type '" + words[0] + "' (blkbench prints " + START + ", " + END
                        + ", " + RESULT + ", " + DONE + " and " + ERROR + ")");
        }
    }

    private static WorkloadResult result(String line, String[] words) {
        Map<String, String> kv = keyValues(line, words);
        requireKeys(line, kv, REQUIRED);
        String name = kv.get("name");
        if (!NAME.matcher(name).matches()) {
            throw malformed(line, "name=" + name + " is not a workload name");
        }
        long requests = integer(line, "requests", kv.get("requests"), 1);
        double seconds = number(line, "seconds", kv.get("seconds"));
        if (seconds <= 0) {
            throw malformed(line, "seconds=" + kv.get("seconds") + " is not positive");
        }
        double p50 = number(line, "p50_us", kv.get("p50_us"));
        double p99 = number(line, "p99_us", kv.get("p99_us"));
        if (p50 > p99) {
            throw malformed(line, "p50_us=" + kv.get("p50_us") + " is above p99_us=" + kv.get("p99_us"));
        }
        return new WorkloadResult(name, requests, seconds, number(line, "rps", kv.get("rps")), p50, p99,
                optional(line, kv, "mean_us"), optional(line, kv, "min_us"), optional(line, kv, "max_us"),
                kv.containsKey("depth") ? (int) integer(line, "depth", kv.get("depth"), 1) : 1,
                kv.containsKey("bytes") ? integer(line, "bytes", kv.get("bytes"), 0) : 0);
    }

    private static String onlyName(String line, String[] words) {
        if (words.length != 2) {
            throw malformed(line, words[0] + " takes exactly one workload name");
        }
        if (!NAME.matcher(words[1]).matches()) {
            throw malformed(line, "'" + words[1] + "' is not a workload name");
        }
        return words[1];
    }

    private static Map<String, String> keyValues(String line, String[] words) {
        Map<String, String> kv = new HashMap<>();
        for (int i = 1; i < words.length; i++) {
            int eq = words[i].indexOf('=');
            if (eq <= 0 || eq == words[i].length() - 1) {
                throw malformed(line, "'" + words[i] + "' is not key=value");
            }
            String key = words[i].substring(0, eq);
            if (kv.put(key, words[i].substring(eq + 1)) != null) {
                throw malformed(line, "key '" + key + "' appears twice");
            }
        }
        return kv;
    }

    private static void requireKeys(String line, Map<String, String> kv, List<String> keys) {
        for (String k : keys) {
            if (!kv.containsKey(k)) {
                throw malformed(line, "no " + k + "=");
            }
        }
    }

    private static double optional(String line, Map<String, String> kv, String key) {
        return kv.containsKey(key) ? number(line, key, kv.get(key)) : Double.NaN;
    }

    private static double number(String line, String key, String value) {
        double d;
        try {
            d = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw malformed(line, key + "=" + value + " is not a number");
        }
        if (!Double.isFinite(d) || d < 0) {
            throw malformed(line, key + "=" + value + " is not a finite number >= 0");
        }
        return d;
    }

    private static long integer(String line, String key, String value, long min) {
        long v;
        try {
            v = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw malformed(line, key + " '" + value + "' is not a whole number");
        }
        if (v < min) {
            throw malformed(line, key + " " + v + " is below " + min);
        }
        return v;
    }

    private static BenchOutputException malformed(String line, String why) {
        String shown = line.length() > 160 ? line.substring(0, 160) + "..." : line;
        return new BenchOutputException("malformed guest benchmark line \"" + shown + "\": " + why
                + " (is the initramfs's blkbench from another version? rebuild it with guest-images/build)");
    }
}
