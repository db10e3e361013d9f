package io.jkvm.bench;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainCategoryPlot;
import org.jfree.chart.renderer.category.StatisticalBarRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The PNG next to the raw results: per workload, one bar per VMM and mode for requests/s, p50 latency and
 * userspace exits per request. Bars are medians and whiskers span median ± half the range, as in the table.
 */
final class NotifyChart {
    static final int WIDTH = 1100;
    static final int HEIGHT = 900;
    /** jkvm in blues (the register page in the darkest), QEMU in oranges; the darker shade is ioeventfd. */
    private static final Map<String, Color> COLORS = Map.of("jkvm page", new Color(0x0b2559),
            "jkvm ioeventfd", new Color(0x1f4e9c), "jkvm exit", new Color(0x8fb3e8),
            "qemu ioeventfd", new Color(0xc05a00), "qemu exit", new Color(0xf5b77a));
    private static final List<Metric> PANELS = List.of(Metric.RPS, Metric.P50_US, Metric.USER_EXITS);
    private static final List<String> LABELS = List.of("requests/s", "p50 latency (µs)", "userspace exits / request");

    private NotifyChart() {
    }

    static void write(Path file, Results results, String subtitle) throws IOException {
        System.setProperty("java.awt.headless", "true"); // no display in the emulated host or in CI
        CategoryAxis workloads = new CategoryAxis("workload");
        CombinedDomainCategoryPlot plot = new CombinedDomainCategoryPlot(workloads);
        plot.setGap(12);
        List<String> peers = results.peers();
        for (int i = 0; i < PANELS.size(); i++) {
            DefaultStatisticalCategoryDataset data = new DefaultStatisticalCategoryDataset();
            for (String w : results.workloads()) {
                for (String p : peers) {
                    Stats s = results.stats(w, p, PANELS.get(i));
                    if (s.present()) {
                        data.add(s.median(), s.halfRange(), p, w);
                    }
                }
            }
            StatisticalBarRenderer r = new StatisticalBarRenderer();
            r.setErrorIndicatorPaint(Color.BLACK);
            r.setDrawBarOutline(false);
            r.setShadowVisible(false);
            r.setItemMargin(0.05);
            for (int k = 0; k < peers.size(); k++) {
                r.setSeriesPaint(k, COLORS.getOrDefault(peers.get(k), Color.GRAY));
            }
            NumberAxis axis = new NumberAxis(LABELS.get(i));
            axis.setAutoRangeIncludesZero(true);
            CategoryPlot panel = new CategoryPlot(data, null, axis, r);
            panel.setBackgroundPaint(Color.WHITE);
            panel.setRangeGridlinePaint(Color.LIGHT_GRAY);
            plot.add(panel, 1);
        }
        // Every panel has the same series; one legend, not one per panel.
        plot.setFixedLegendItems(((CategoryPlot) plot.getSubplots().get(0)).getLegendItems());
        JFreeChart chart = new JFreeChart("Exit-free notifications: jkvm and QEMU microvm, ioeventfd vs. exit (page: jkvm's register page)",
                new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, true);
        chart.addSubtitle(new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
    }
}
