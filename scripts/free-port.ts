/** A free TCP port on 127.0.0.1 (bound, read and released), for servers started by tests and tools. */
import { createServer } from "node:net";

export async function freePort(): Promise<number> {
  return new Promise((done, failed) => {
    const srv = createServer();
    srv.once("error", failed);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      srv.close(() => done(port));
    });
  });
}
