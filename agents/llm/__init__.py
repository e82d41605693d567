"""The Claude backend: one AsyncAnthropic client, structured outputs, tool-use investigations,
usage and cost accounting. Every entry point degrades to the offline engine instead of failing."""
