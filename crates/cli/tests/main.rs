//! Integration tests of the `poolcast` binary, one module per command.

mod import;
