package io.github.decisionlog.exporter;

import java.io.PrintStream;

/**
 * A command the jar runs instead of the exporter, {@code java -jar decision-log-exporter.jar <name> ...}. Commands are
 * found with {@link java.util.ServiceLoader} ({@code META-INF/services}), so that the application's entry point does
 * not depend on the packages that implement them.
 */
public interface ExporterCommand {

    /** The first argument that selects the command. */
    String name();

    /** Runs the command with the arguments after its name; returns the process's exit code. */
    int run(String[] args, PrintStream out, PrintStream err);
}
