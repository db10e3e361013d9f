package io.jkvm.core.cli;

import io.jkvm.core.host.HostCheck;
import io.jkvm.core.kvm.Kvm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code jkvm check}: can this host run guests? One line per check, then a verdict; exit 0 only when it can. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Report whether this host can run guests: device, permission, API version, capabilities, CPU.")
final class CheckCommand implements Callable<Integer> {
    @Option(names = "--device", description = "The KVM device (default: ${DEFAULT-VALUE}).")
    String device = Kvm.DEVICE;

    @Override
    public Integer call() {
        HostCheck check = HostCheck.run(device);
        for (HostCheck.Item item : check.items()) {
            System.out.printf("%-28s %-4s %s%n", item.name(), item.ok() ? "yes" : "NO", item.detail());
        }
        if (check.problem() == null) {
            System.out.println("can run guests: yes");
            return 0;
        }
        System.out.println("can run guests: no: " + check.problem());
        return Main.EXIT_NO_KVM;
    }
}
