// Starts one OpenSearch 2.x node in this JVM through codelibs' OpenSearchRunner, for the local stack.
// Compiled once by local/components/opensearch.ts, run as
// `java -cp <classes>:<lib>/* OpenSearchLauncher <basePath> <httpPort> <transportPort>`.
// The runner's own main caps HTTP ports at 9299 and exits silently on failure, so this launcher fixes the
// ports, applies the single-node settings and prints the cause when start-up fails.
import org.codelibs.opensearch.runner.OpenSearchRunner;

public class OpenSearchLauncher {
  public static void main(String[] args) throws Exception {
    final String basePath = args[0];
    final String httpPort = args[1];
    final String transportPort = args[2];
    final OpenSearchRunner runner = new OpenSearchRunner();
    runner.setMaxHttpPort(-1);
    runner.onBuild((index, settings) -> {
      settings.put("cluster.name", "log-pipeline-local");
      settings.put("node.name", "local-1");
      settings.put("network.host", "127.0.0.1");
      settings.put("http.port", httpPort);
      settings.put("transport.port", transportPort);
      settings.put("discovery.type", "single-node");
      // Disks on dev machines and CI are often nearly full: never block writes on the watermark.
      settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
      settings.put("action.auto_create_index", "true");
      // What the smallest AWS domain (t3.medium.search) accepts per request, so request sizing is tested here.
      settings.put("http.max_content_length", "10mb");
      settings.putList("node.roles", "cluster_manager", "data", "ingest");
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        runner.close();
      } catch (Exception e) {
        e.printStackTrace();
      }
    }));
    try {
      runner.build("-basePath", basePath, "-numOfNode", "1", "-clusterName", "log-pipeline-local", "-printOnFailure");
    } catch (Throwable e) {
      System.err.println("OpenSearch failed to start:");
      e.printStackTrace();
      System.exit(1);
    }
    System.out.println("OpenSearch node started on 127.0.0.1:" + httpPort);
    while (!runner.isClosed()) {
      Thread.sleep(5000);
    }
  }
}
