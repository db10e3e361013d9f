package io.jkvm.bench;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.renderer.category.StatisticalBarRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The PNG beside the boot results: boot to init per vCPU count, one bar per variant (median ± half the range). */
final class BootChart {
    static final int WIDTH = 1000;
    static final int HEIGHT = 560;
    private static final Color QEMU = new Color(0xc05a00);
    /** jkvm's variants in blues, from light (no archive) to dark. */
    private static final List<Color> JKVM = List.of(new Color(0x8fb3e8), new Color(0x5b8bd6), new Color(0x1f4e9c),
            new Color(0x0b2559), new Color(0x6a6ad0), new Color(0x3a3a90));

    private BootChart() {
    }

    static void write(Path file, BootReport report, String subtitle) throws IOException {
        System.setProperty("java.awt.headless", "true"); // no display in the emulated host or in CI
        DefaultStatisticalCategoryDataset data = new DefaultStatisticalCategoryDataset();
        List<String> variants = report.variantNames();
        for (int c : report.cpus()) {
            for (String v : variants) {
                Stats s = report.boot(v, c);
                if (s.present()) {
                    data.add(s.median() / 1000, s.halfRange() / 1000, v, c + " vCPU");
                }
            }
        }
        StatisticalBarRenderer r = new StatisticalBarRenderer();
        r.setErrorIndicatorPaint(Color.BLACK);
        r.setDrawBarOutline(false);
        r.setShadowVisible(false);
        r.setItemMargin(0.05);
        int blue = 0;
        for (int k = 0; k < variants.size(); k++) {
            r.setSeriesPaint(k, variants.get(k).equals(BootVariant.QEMU) ? QEMU : JKVM.get(blue++ % JKVM.size()));
        }
        NumberAxis axis = new NumberAxis("boot to init (s)");
        axis.setAutoRangeIncludesZero(true);
        CategoryPlot plot = new CategoryPlot(data, new CategoryAxis("vCPUs"), axis, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart("Boot to init: jkvm (JDK, class-data archive) and QEMU microvm",
                new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, true);
        chart.addSubtitle(new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
    }
}
