// In-process test loop for Java runners (see the plugin docstring and RunPlan's protocol).
// argv: TESTS_DIR COUNT TIMINGS_FILE OUTPUT_CAP_BYTES. Calls Main.main once per test, each time
// from a fresh class loader over the program's classes (-Dafterburner.classes), so static state
// starts anew per test exactly as in a new process; JDK classes stay loaded and warm.
import java.io.*;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.Permission;

public class AfterburnerHarness {
    static final class OutputLimit extends Error {
        OutputLimit() { super("output limit", null, false, false); }
    }

    static final class ExitTrap extends SecurityException {
        final int status;
        ExitTrap(int status) { super("System.exit(" + status + ")"); this.status = status; }
    }

    static final class CappedStream extends ByteArrayOutputStream {
        private final long cap;
        CappedStream(long cap) { this.cap = cap; }
        @Override public synchronized void write(int b) {
            if (count + 1 > cap) throw new OutputLimit();
            super.write(b);
        }
        @Override public synchronized void write(byte[] b, int off, int len) {
            if (count + (long) len > cap) throw new OutputLimit();
            super.write(b, off, len);
        }
    }

    @SuppressWarnings("removal")
    public static void main(String[] args) throws Exception {
        Path dir = Paths.get(args[0]);
        int count = Integer.parseInt(args[1]);
        Path timings = Paths.get(args[2]);
        long cap = Long.parseLong(args[3]);
        URL[] programClasses = {Paths.get(System.getProperty("afterburner.classes")).toUri().toURL()};
        com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        System.setSecurityManager(new SecurityManager() {
            @Override public void checkExit(int status) { throw new ExitTrap(status); }
            @Override public void checkPermission(Permission perm) {}
            @Override public void checkPermission(Permission perm, Object context) {}
        });
        PrintStream realOut = System.out;
        InputStream realIn = System.in;
        try (BufferedWriter log = Files.newBufferedWriter(timings, StandardCharsets.UTF_8)) {
            for (int i = 0; i < count; i++) {
                byte[] input = Files.readAllBytes(dir.resolve(i + ".in"));
                CappedStream sink = new CappedStream(cap);
                PrintStream out = new PrintStream(sink, false, "UTF-8");
                System.setIn(new ByteArrayInputStream(input));
                System.setOut(out);
                String status = "ok", message = "";
                URLClassLoader loader = new URLClassLoader(programClasses, ClassLoader.getPlatformClassLoader());
                Method entry = Class.forName("Main", false, loader).getMethod("main", String[].class);
                long c0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                try {
                    entry.invoke(null, (Object) new String[0]);
                    out.flush();
                } catch (InvocationTargetException wrapped) {
                    Throwable cause = wrapped.getCause();
                    out.flush();
                    if (cause instanceof ExitTrap && ((ExitTrap) cause).status == 0) {
                        // exit(0) ends the test normally
                    } else if (cause instanceof OutputLimit) {
                        status = "output_limit";
                    } else if (cause instanceof OutOfMemoryError) {
                        status = "error"; message = "java.lang.OutOfMemoryError: " + cause.getMessage();
                    } else {
                        status = "error";
                        StringWriter trace = new StringWriter();
                        cause.printStackTrace(new PrintWriter(trace));
                        message = trace.toString();
                    }
                } catch (OutputLimit e) {
                    status = "output_limit";
                }
                long t1 = System.nanoTime();
                long c1 = os.getProcessCpuTime();
                System.setOut(realOut);
                System.setIn(realIn);
                loader.close();
                Files.write(dir.resolve(i + ".out"), sink.toByteArray());
                if (message.length() > 4000) message = message.substring(0, 4000);
                String flat = message.replace("\t", " ").replace("\n", "\\n");
                log.write(i + "\t" + t0 + "\t" + t1 + "\t" + (c1 - c0) + "\t" + status + "\t" + flat + "\n");
                log.flush();
                if (!status.equals("ok")) break;
            }
        }
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
