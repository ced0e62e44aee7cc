"""Generation jobs: the queue the bots submit to, the worker that runs the engine, the outbox.

Redis mode uses SAQ (heartbeats, sweeps, retries, abort); embedded mode (no Redis) runs the
same attempt code in-process with the database as the queue. Either way the `Job` row is the
truth the chats read, and `storage.outbox` is how an album reaches its chat exactly once.
"""
