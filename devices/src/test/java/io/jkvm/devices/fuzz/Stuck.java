package io.jkvm.devices.fuzz;

/** Where a thread that overran its bound was when it was given up: the cause of a hang finding. */
final class Stuck extends Throwable {
    private Stuck(String message) {
        super(message, null, false, true);
    }

    static Stuck at(Thread t) {
        Stuck s = new Stuck("thread " + t.getName() + " (" + t.getState() + ") was still here");
        StackTraceElement[] trace = t.getStackTrace();
        for (int i = 0; i < 20 && trace.length == 0 && t.isAlive(); i++) {
            // A spinning thread's stack can come back empty (seen with JDK 17); asking for all of them works.
            StackTraceElement[] again = Thread.getAllStackTraces().get(t);
            trace = again != null ? again : trace;
        }
        s.setStackTrace(trace);
        // Printed as well: Jazzer shortens a finding's trace to the frames below the fuzz test.
        System.err.println("jkvm fuzz: " + s.getMessage() + ":");
        for (StackTraceElement e : s.getStackTrace()) {
            System.err.println("\tat " + e);
        }
        return s;
    }
}
