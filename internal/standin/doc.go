// Package standin is the wing of the house that stands in for the world
// outside ashbot: each subpackage speaks one outside service's real
// protocol on loopback, strictly enough that the real client libraries run
// against it unchanged, for tests and for `ashbot demo`. Nothing under
// internal/standin is product code, and product packages never import it
// (only tests, the demo and the stand-ins' own commands do).
//
//   - discordsim: Discord's REST API and gateway.
//   - nlpsim: Ash-NLP, the crisis classifier (POST /analyze, GET /health).
//   - anthropicsim: Anthropic's Messages API (Claude).
//   - openaisim: OpenAI-compatible chat completions (Ollama, vLLM, ...).
//   - modelsim: what the two model stand-ins share.
package standin
