"""ThingSpeak's HTTP API, where a channel is a device: boards and apps move here by changing the address."""
