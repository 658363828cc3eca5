"""The Wolkvox stand-in: a simulator of the documented endpoints (`server`) and its demo
customers (`data`). Only the demo, the `simulator` command, the tests and the benchmarks use it."""
