//! One JSON-RPC call, and how it is named in messages.

use serde_json::Value;

/// A method with its parameters, and optionally what it is about (`height 800000`) so that an
/// error can say which call of a batch failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The JSON-RPC method.
    pub method: String,
    /// Its parameters.
    pub params: Value,
    /// What the call is about (`height 800000`), for messages.
    pub label: Option<String>,
}

/// Longest description of a call in a message; parameters beyond are cut.
const DESCRIPTION_CHARS: usize = 160;

impl Call {
    /// A call of `method` with `params`.
    pub fn new(method: impl Into<String>, params: Value) -> Call {
        Call {
            method: method.into(),
            params,
            label: None,
        }
    }

    /// The call, named by `label` in errors.
    pub fn labelled(mut self, label: impl Into<String>) -> Call {
        self.label = Some(label.into());
        self
    }

    /// `method param param (label)`, as errors name it: `getblockhash 5 (height 5)`.
    pub fn describe(&self) -> String {
        let mut text = self.method.clone();
        let params = match &self.params {
            Value::Array(items) => items.iter().collect(),
            Value::Null => Vec::new(),
            other => vec![other],
        };
        for param in params {
            text.push(' ');
            match param {
                Value::String(s) => text.push_str(s),
                other => text.push_str(&other.to_string()),
            }
        }
        if let Some((cut, _)) = text.char_indices().nth(DESCRIPTION_CHARS) {
            text.truncate(cut);
            text.push('…');
        }
        if let Some(label) = &self.label {
            text.push_str(&format!(" ({label})"));
        }
        text
    }
}

/// How a batch is named in errors that concern all of it.
pub(crate) fn describe_batch(calls: &[Call]) -> String {
    match calls {
        [] => "an empty batch".to_string(),
        [one] => one.describe(),
        [first, ..] => {
            let same = calls.iter().all(|c| c.method == first.method);
            let methods = if same {
                format!("{} calls", first.method)
            } else {
                "calls".to_string()
            };
            format!(
                "batch of {} {methods}, from {}",
                calls.len(),
                first.describe()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn calls_are_described_with_params_and_label() {
        let call = Call::new("getblockhash", json!([123])).labelled("height 123");
        assert_eq!(call.describe(), "getblockhash 123 (height 123)");
        assert_eq!(
            Call::new("eth_getBlockByNumber", json!(["0x76250", true])).describe(),
            "eth_getBlockByNumber 0x76250 true"
        );
        let long = Call::new("eth_call", json!(["x".repeat(500)])).describe();
        assert_eq!(long.chars().count(), DESCRIPTION_CHARS + 1);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn batches_are_described_by_size_and_first_call() {
        let calls = [
            Call::new("getblockhash", json!([7])),
            Call::new("getblockhash", json!([8])),
        ];
        assert_eq!(
            describe_batch(&calls),
            "batch of 2 getblockhash calls, from getblockhash 7"
        );
        let mixed = [
            Call::new("trace_block", json!(["0x1"])),
            Call::new("eth_getBlockReceipts", json!(["0x1"])),
        ];
        assert_eq!(
            describe_batch(&mixed),
            "batch of 2 calls, from trace_block 0x1"
        );
    }
}
