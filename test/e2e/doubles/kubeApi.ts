/**
 * TEST DOUBLE support: a minimal Kubernetes API client over HTTPS, for the doubles that poll the API
 * server. A kubectl process costs about 0.25 CPU-seconds; a double polling with kubectl twice a second
 * per API server would take most of this machine's two cores away from the engine under test.
 *
 * Reads the tier's kubeconfigs (client certificate, key and CA as files, current context).
 */
import * as fs from "node:fs";
import * as https from "node:https";
import { parse } from "yaml";

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}
interface Kubeconfig {
  "current-context": string;
  contexts: Named<{ cluster: string; user: string }>[];
  clusters: Named<{ server: string; "certificate-authority": string }>[];
  users: Named<{ "client-certificate": string; "client-key": string }>[];
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

export class KubeApi {
  private readonly server: URL;
  private readonly agent: https.Agent;

  constructor(kubeconfig: string) {
    const config = parse(fs.readFileSync(kubeconfig, "utf8")) as Kubeconfig;
    const context = config.contexts.find((c) => c.name === config["current-context"])?.context;
    const cluster = config.clusters.find((c) => c.name === context?.cluster)?.cluster;
    const user = config.users.find((u) => u.name === context?.user)?.user;
    if (!cluster || !user)
      throw new Error(`${kubeconfig}: no cluster and user for the current context ${config["current-context"]}`);
    this.server = new URL(cluster.server);
    this.agent = new https.Agent({
      keepAlive: true,
      ca: fs.readFileSync(cluster["certificate-authority"]),
      cert: fs.readFileSync(user["client-certificate"]),
      key: fs.readFileSync(user["client-key"]),
    });
  }

  request<T = unknown>(
    method: "GET" | "POST" | "PATCH",
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<ApiResponse<T>> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        {
          host: this.server.hostname,
          port: this.server.port,
          path,
          method,
          agent: this.agent,
          headers: {
            accept: "application/json",
            ...(payload ? { "content-type": contentType, "content-length": Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => {
            text += d.toString();
          });
          res.on("end", () => {
            try {
              resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : {}) as T });
            } catch (err) {
              reject(
                new Error(`${method} ${path}: answer is not JSON (${(err as Error).message}): ${text.slice(0, 200)}`),
              );
            }
          });
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  /**
   * Follows a collection with `?watch=true` from `resourceVersion` (a list's), calling `onEvent` for each
   * event as it arrives; the returned function ends the watch. The API server closes a watch after a
   * while: `onEnd` hears of it, and a caller that still cares lists and watches again.
   */
  watch<T>(
    path: string,
    resourceVersion: string,
    onEvent: (type: string, object: T) => void,
    onEnd: (err?: Error) => void,
  ): () => void {
    const separator = path.includes("?") ? "&" : "?";
    // A destroyed request reports its end more than once (error, then close): the caller hears of it once.
    let ended = false;
    const end = (err?: Error) => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    const req = https.request(
      {
        host: this.server.hostname,
        port: this.server.port,
        method: "GET",
        agent: this.agent,
        path: `${path}${separator}watch=true&allowWatchBookmarks=false&resourceVersion=${encodeURIComponent(resourceVersion)}`,
        headers: { accept: "application/json" },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          end(new Error(`watch ${path}: HTTP ${res.statusCode}`));
          return;
        }
        let buffered = "";
        res.on("data", (d: Buffer) => {
          buffered += d.toString();
          let newline: number;
          while ((newline = buffered.indexOf("\n")) >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (!line) continue;
            let event: { type: string; object: T };
            try {
              event = JSON.parse(line) as { type: string; object: T };
            } catch (err) {
              req.destroy();
              end(new Error(`watch ${path}: an event is not JSON (${(err as Error).message}): ${line.slice(0, 200)}`));
              return;
            }
            onEvent(event.type, event.object);
          }
        });
        res.on("end", () => end());
        res.on("error", (err) => end(err));
      },
    );
    req.on("error", (err) => end(err));
    req.end();
    return () => req.destroy();
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * A double that looks at the API server every `pollMs`, as an operator's reconcile loop does, and at once
 * when a collection it watches changes (`wakeOn`), as a controller's informer does: `start()` begins the
 * loop, `stop()` ends it and closes the connection. A failed look (the API server stopping first, a
 * refused connection) is the next tick's business.
 */
export abstract class PollingDouble {
  private running = false;
  private loop: Promise<void> | undefined;
  private woken = false;
  private wake: (() => void) | undefined;
  private readonly watches: (() => void)[] = [];
  protected readonly api: KubeApi;

  constructor(
    kubeconfig: string,
    private readonly pollMs: number,
  ) {
    this.api = new KubeApi(kubeconfig);
  }

  protected abstract tick(): Promise<void>;

  /**
   * Ticks as soon as the API server reports a change in `path`, not only every `pollMs`: a real scheduler
   * binds a pod when it appears, and a double that waits for its next poll adds that wait to every
   * rolling update it stands in for. A watch the server ends is opened again.
   */
  protected wakeOn(path: string): void {
    const follow = () => {
      if (!this.running) return;
      const stop = this.api.watch(
        path,
        "",
        () => this.nudge(),
        () => {
          if (this.running) setTimeout(follow, this.pollMs);
        },
      );
      this.watches.push(stop);
    };
    follow();
  }

  /** Ticks once `ms` from now: a delay that ends between two polls ends when it says, not at the next poll. */
  protected tickIn(ms: number): void {
    const timer = setTimeout(() => this.nudge(), Math.max(0, ms));
    timer.unref();
  }

  private nudge(): void {
    this.woken = true;
    this.wake?.();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        this.woken = false;
        await this.tick().catch(() => undefined);
        if (this.woken) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.pollMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    for (const stop of this.watches.splice(0)) stop();
    await this.loop;
    this.api.close();
  }
}
