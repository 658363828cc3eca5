"""The Slack stand-in: Web API, response URLs, triggers and Socket Mode (`server`), and the
signed requests Slack would send (`requests`). For the demo, the tests and the benchmarks only."""
