// In-process test loop for Java runners, driven by the supervisor (protocol: RunPlan's docstring
// and sandbox/supervision/abrun/harness.c). argv: OUTPUT_CAP_BYTES. Tests arrive on fd 3, answers leave on fd 4.
// Calls Main.main once per test, each time from a fresh class loader over the program's classes
// (-Dafterburner.classes), so static state starts anew per test exactly as in a new process; JDK
// classes stay loaded and warm. Loading the program's classes is the test's work (a process would
// pay for it), so it happens after GO. This loop measures nothing: the supervisor stamps each test
// when GO and DONE reach it.
import java.io.*;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
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

    /** Reads the supervisor's "TEST <i> <n>" headers and inputs. */
    static final class TestChannel {
        private final InputStream in;
        TestChannel(InputStream in) { this.in = new BufferedInputStream(in, 1 << 16); }

        String header() throws IOException {
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) return null;
                line.append((char) c);
            }
            return line.toString();
        }

        byte[] input(int length) throws IOException {
            byte[] data = new byte[length];
            for (int filled = 0; filled < length;) {
                int got = in.read(data, filled, length - filled);
                if (got < 0) throw new EOFException("the supervisor closed the test channel mid-input");
                filled += got;
            }
            return data;
        }
    }

    static volatile boolean finished = false;

    /** The harness's own code between two tests runs once before READY (class loading, first
     * interpretation), so that its first-use cost is not mistaken for the program's work in the
     * first gap. */
    static void warmUp() throws IOException {
        TestChannel channel = new TestChannel(new ByteArrayInputStream("TEST 0 1\nx".getBytes(StandardCharsets.US_ASCII)));
        String header = channel.header();
        int space = header.indexOf(' ', 5);
        String index = header.substring(5, space);
        ByteArrayOutputStream scratch = new ByteArrayOutputStream();
        scratch.write(("GO " + index + "\n").getBytes(StandardCharsets.US_ASCII));
        channel.input(Integer.parseInt(header.substring(space + 1)));
    }

    @SuppressWarnings("removal")
    public static void main(String[] args) throws Exception {
        long cap = Long.parseLong(args[0]);
        URL[] programClasses = {Paths.get(System.getProperty("afterburner.classes")).toUri().toURL()};
        TestChannel channel = new TestChannel(new FileInputStream("/proc/self/fd/3"));
        OutputStream results = new FileOutputStream("/proc/self/fd/4");
        System.setSecurityManager(new SecurityManager() {
            @Override public void checkExit(int status) { if (!finished) throw new ExitTrap(status); }
            @Override public void checkPermission(Permission perm) {
                if ("setSecurityManager".equals(perm.getName())) throw new SecurityException("the harness keeps its own");
            }
            @Override public void checkPermission(Permission perm, Object context) { checkPermission(perm); }
        });
        PrintStream realOut = System.out;
        InputStream realIn = System.in;
        warmUp();
        results.write("READY\n".getBytes(StandardCharsets.US_ASCII));
        results.flush();
        for (String header = channel.header(); header != null; header = channel.header()) {
            int space = header.indexOf(' ', 5);
            String index = header.substring(5, space);
            results.write(("GO " + index + "\n").getBytes(StandardCharsets.US_ASCII));
            results.flush();
            byte[] input = channel.input(Integer.parseInt(header.substring(space + 1)));
            CappedStream sink = new CappedStream(cap);
            PrintStream out = new PrintStream(sink, false, "UTF-8");
            System.setIn(new ByteArrayInputStream(input));
            System.setOut(out);
            String status = "ok", message = "";
            URLClassLoader loader = new URLClassLoader(programClasses, ClassLoader.getPlatformClassLoader());
            try {
                Method entry = Class.forName("Main", false, loader).getMethod("main", String[].class);
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
            } catch (ReflectiveOperationException | LinkageError e) {
                status = "error"; message = e.toString();
            }
            System.setOut(realOut);
            System.setIn(realIn);
            loader.close();
            if (message.length() > 4000) message = message.substring(0, 4000);
            byte[] output = sink.toByteArray();
            byte[] detail = message.getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream frame = new ByteArrayOutputStream(output.length + detail.length + 64);
            frame.write(("DONE " + index + " " + status + " " + output.length + " " + detail.length + "\n")
                .getBytes(StandardCharsets.US_ASCII));
            frame.write(output);
            frame.write(detail);
            results.write(frame.toByteArray());
            results.flush();
            if (!status.equals("ok")) break;
        }
        System.out.flush();
        finished = true;
        Runtime.getRuntime().halt(0);
    }
}
