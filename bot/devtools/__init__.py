"""Development stand-ins and tools: the Wolkvox simulator, the Slack stand-in, the whole product
on loopback (`stack`), the demo, and helpers for child processes. Production never imports
these; the layering contract in `make lint` keeps it so."""
