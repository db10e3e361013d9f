package io.jkvm.bench;

import java.util.List;

/** How a benchmark run was made, recorded with its results. qemuCommand is empty without the peer. */
record RunInfo(String started, BootSetup setup, int repetitions, List<String> qemuCommand, String qemuCountersProblem) {
}
