package io.jkvm.bench;

import java.util.Arrays;
import java.util.Collection;

/**
 * Median and spread of a few repetitions. The spread is the range, shown as half of it around the median
 * ({@code median ± (max - min) / 2}): with three to five runs a standard deviation says little more, and the range
 * hides nothing. Values that do not exist for a run (NaN, e.g. QEMU's QueueNotify count) are left out.
 */
record Stats(double median, double min, double max, int n) {
    static final Stats NONE = new Stats(Double.NaN, Double.NaN, Double.NaN, 0);

    static Stats of(Collection<Double> values) {
        return of(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    static Stats of(double... values) {
        double[] v = Arrays.stream(values).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) {
            return NONE;
        }
        return new Stats(median(v), v[0], v[v.length - 1], v.length);
    }

    /** The middle value, or the mean of the two middle ones; sorted must be sorted and not empty. */
    static double median(double[] sorted) {
        int n = sorted.length;
        if (n == 0) {
            throw new IllegalArgumentException("the median of no values");
        }
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    boolean present() {
        return n > 0;
    }

    double halfRange() {
        return (max - min) / 2;
    }

    /** The range relative to the median, in percent (0 when the median is 0). */
    double spreadPercent() {
        return median == 0 ? 0 : (max - min) / Math.abs(median) * 100;
    }
}
