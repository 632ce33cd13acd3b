"""HTTP routers: thin — parse, call the domain, shape the response."""
