// Owns the truthful replication lag: now − commit time of the last processed transaction while
// the server holds WAL the engine has not read, 0 once it has read everything. Read at scrape
// time, so a stalled or dead stream shows a lag that keeps growing instead of its last value.
// Pure (the caller supplies positions and clock readings), so every case is unit-tested.

export class ReplicationLag {
  /** Commit time (ms) of the last transaction the engine processed. */
  private lastCommitTime = 0;
  /** When a scrape last found the engine caught up (ms); bounds the lag from above. */
  private caughtUpAt = 0;

  /** The engine started a stream: it is caught up with the WAL at this moment. */
  started(now: number) {
    this.caughtUpAt = now;
  }

  processed(commitTime: number) {
    this.lastCommitTime = Math.max(this.lastCommitTime, commitTime);
  }

  /**
   * Seconds behind, given the server's WAL position and the engine's (both as numbers), or
   * `serverLsn` undefined when the server could not be asked (then WAL is assumed pending).
   * Behind means: the oldest unread transaction committed after both the last processed one
   * and the last moment the engine was seen caught up, so the lag is at most now − the later
   * of the two. WAL written by other databases or unpublished tables counts as pending only
   * until the walsender's keepalive moves the engine's position past it.
   */
  seconds(now: number, serverLsn: number | undefined, engineLsn: number): number {
    if (serverLsn !== undefined && serverLsn <= engineLsn) {
      this.caughtUpAt = now;
      return 0;
    }
    const since = Math.max(this.lastCommitTime, this.caughtUpAt);
    return since === 0 ? 0 : Math.max(0, (now - since) / 1000);
  }
}
