package io.jkvm.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatsTest {
    @Test
    void medianOfAnOddCountIsTheMiddleValue() {
        Stats s = Stats.of(900, 700, 800);
        assertEquals(800, s.median());
        assertEquals(700, s.min());
        assertEquals(900, s.max());
        assertEquals(3, s.n());
    }

    @Test
    void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        assertEquals(2.5, Stats.of(4, 1, 3, 2).median());
        assertEquals(5, Stats.of(5).median());
    }

    @Test
    void spreadIsTheRange() {
        Stats s = Stats.of(790, 840, 812);
        assertEquals(25, s.halfRange(), 1e-12);
        assertEquals(50.0 / 812 * 100, s.spreadPercent(), 1e-9);
        assertEquals(0, Stats.of(3, 3, 3).halfRange());
        assertEquals(0, Stats.of(0, 0).spreadPercent());
    }

    @Test
    void missingValuesAreLeftOut() {
        Stats s = Stats.of(Double.NaN, 2, 4);
        assertEquals(3, s.median());
        assertEquals(2, s.n());
        assertFalse(Stats.of(Double.NaN, Double.NaN).present());
        assertFalse(Stats.of(List.of()).present());
        assertTrue(Double.isNaN(Stats.of().median()));
    }

    @Test
    void theInputIsNotReordered() {
        double[] v = {3, 1, 2};
        Stats.of(v);
        assertArrayEquals(new double[] {3, 1, 2}, v);
    }

    @Test
    void theMedianOfNothingIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> Stats.median(new double[0]));
    }

    @Test
    void formatIsMedianPlusMinusHalfRange() {
        assertEquals("812±25", Metric.RPS.format(Stats.of(790, 840, 812)));
        assertEquals("2.00±0.01", Metric.USER_EXITS.format(Stats.of(1.99, 2.01, 2.0)));
        assertEquals("n/a", Metric.QUEUE_NOTIFY.format(Stats.of(Double.NaN)));
    }
}
