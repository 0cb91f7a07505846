"""The Docker Engine API (v1.41, down to 1.24) as a second face over `supervisor.api`:
`scopebox system service`. Each handler fills the engine API's options from a request and
writes its reports in Docker's shapes; nothing here touches the store or the engine itself."""
