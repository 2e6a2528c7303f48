package observability.opensearch;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.codelibs.opensearch.runner.OpenSearchRunner;
import org.opensearch.http.HttpServerTransport;

/**
 * One OpenSearch node on 127.0.0.1 for tests and the demo.
 *
 * <p>Prints {@code READY http://127.0.0.1:<port>} once the cluster is green, then runs until
 * SIGTERM (a shutdown hook closes the node) or, with {@code --stop-on-stdin-close}, until its
 * parent closes stdin, so a crashed parent never leaves a node behind.
 *
 * <p>Arguments: {@code --base-path DIR --http-port N --cluster-name NAME
 * [--setting key=value]... [--stop-on-stdin-close]}.
 */
public final class LocalNode {

    private LocalNode() {
    }

    public static void main(final String[] args) throws Exception {
        String basePath = null;
        String httpPort = "9200";
        String clusterName = "observability-local";
        boolean stopOnStdinClose = false;
        final List<String[]> extra = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--base-path" -> basePath = args[++i];
                case "--http-port" -> httpPort = args[++i];
                case "--cluster-name" -> clusterName = args[++i];
                case "--stop-on-stdin-close" -> stopOnStdinClose = true;
                case "--setting" -> {
                    final String pair = args[++i];
                    final int eq = pair.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--setting wants key=value, got " + pair);
                    }
                    extra.add(new String[] {pair.substring(0, eq), pair.substring(eq + 1)});
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (basePath == null) {
            throw new IllegalArgumentException("--base-path is required");
        }

        final OpenSearchRunner runner = new OpenSearchRunner();
        final CountDownLatch stopped = new CountDownLatch(1);
        final String port = httpPort;
        runner.onBuild((index, settings) -> {
            settings.put("network.host", "127.0.0.1");
            settings.put("http.port", port);
            settings.put("transport.port", "0");
            settings.put("discovery.type", "single-node");
            settings.putList("node.roles", "cluster_manager", "data", "ingest");
            // A test machine's disk is often nearly full; the watermarks would block writes.
            settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
            for (final String[] kv : extra) {
                settings.put(kv[0], kv[1]);
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> close(runner, stopped)));

        runner.build(OpenSearchRunner.newConfigs()
                .basePath(basePath)
                .numOfNode(1)
                .clusterName(clusterName)
                .printOnFailure());
        runner.ensureGreen();
        final HttpServerTransport http = runner.node().injector().getInstance(HttpServerTransport.class);
        final int bound = http.boundAddress().publishAddress().getPort();
        System.out.println("READY http://127.0.0.1:" + bound);
        System.out.flush();

        if (stopOnStdinClose) {
            final Thread watcher = new Thread(() -> {
                drain(System.in);
                close(runner, stopped);
                System.exit(0);
            }, "stdin-watcher");
            watcher.setDaemon(true);
            watcher.start();
        }
        stopped.await();
    }

    private static void drain(final InputStream in) {
        final byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // Nothing to read: the parent only ever closes stdin.
            }
        } catch (final IOException e) {
            // A broken pipe means the parent is gone: stop as if stdin closed.
        }
    }

    private static synchronized void close(final OpenSearchRunner runner, final CountDownLatch stopped) {
        if (stopped.getCount() == 0) {
            return;
        }
        try {
            runner.close();
        } catch (final IOException e) {
            System.err.println("close failed: " + e);
        }
        System.out.println("STOPPED");
        System.out.flush();
        stopped.countDown();
    }
}
