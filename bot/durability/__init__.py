"""Nothing lost across a crash: request lifecycles, heartbeats, the local journal, the outbox and start-up recovery."""
