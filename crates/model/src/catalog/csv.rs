//! A small RFC 4180 CSV reader for the embedded catalog tables: quoted fields, doubled
//! quotes inside them, commas and line breaks inside quotes, LF or CRLF line ends.
//!
//! It exists so the model crate needs no CSV dependency for one table; it reads text it is
//! given and reports the 1-based line of the first malformed record.

/// One parsed record and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// 1-based line number of the record's first character.
    pub line: usize,
    /// Field values, unquoted.
    pub fields: Vec<String>,
}

/// Why a CSV text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub(crate) struct CsvError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Splits `text` into records. Blank lines between records are skipped.
pub(crate) fn parse(text: &str) -> Result<Vec<Record>, CsvError> {
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    // A field that was quoted may only be followed by a separator or a line end.
    let mut after_quote = false;
    let mut line = 1usize;
    let mut record_line = 1usize;
    let mut record_started = false;
    let mut chars = text.chars().peekable();

    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => {
                    in_quotes = false;
                    after_quote = true;
                }
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            ',' => {
                fields.push(std::mem::take(&mut field));
                after_quote = false;
                record_started = true;
            }
            '"' if field.is_empty() && !after_quote => {
                in_quotes = true;
                record_started = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                if record_started || !field.is_empty() {
                    fields.push(std::mem::take(&mut field));
                    records.push(Record {
                        line: record_line,
                        fields: std::mem::take(&mut fields),
                    });
                }
                after_quote = false;
                record_started = false;
                line += 1;
                record_line = line;
            }
            _ if after_quote => {
                return Err(CsvError {
                    line,
                    message: format!("unexpected '{c}' after a closing quote"),
                });
            }
            '"' => {
                return Err(CsvError {
                    line,
                    message: "a quote inside an unquoted field".to_owned(),
                });
            }
            _ => {
                field.push(c);
                record_started = true;
            }
        }
    }
    if in_quotes {
        return Err(CsvError {
            line: record_line,
            message: "a quoted field is not closed".to_owned(),
        });
    }
    if record_started || !field.is_empty() {
        fields.push(field);
        records.push(Record {
            line: record_line,
            fields,
        });
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        parse(text).unwrap().into_iter().map(|r| r.fields).collect()
    }

    #[test]
    fn plain_and_quoted_fields() {
        let cases: [(&str, Vec<Vec<&str>>); 7] = [
            ("a,b,c\n", vec![vec!["a", "b", "c"]]),
            ("a,b\n1,2", vec![vec!["a", "b"], vec!["1", "2"]]),
            ("a,,c\r\n", vec![vec!["a", "", "c"]]),
            ("\"x, y\",z\n", vec![vec!["x, y", "z"]]),
            ("\"say \"\"hi\"\"\",2\n", vec![vec!["say \"hi\"", "2"]]),
            ("\"multi\nline\",2\n", vec![vec!["multi\nline", "2"]]),
            ("a\n\n\nb\n", vec![vec!["a"], vec!["b"]]),
        ];
        for (text, want) in cases {
            let want: Vec<Vec<String>> = want
                .into_iter()
                .map(|r| r.into_iter().map(str::to_owned).collect())
                .collect();
            assert_eq!(fields(text), want, "{text:?}");
        }
    }

    #[test]
    fn trailing_empty_field_is_kept() {
        assert_eq!(fields("a,\n"), vec![vec!["a".to_owned(), String::new()]]);
    }

    #[test]
    fn record_lines_count_embedded_breaks() {
        let recs = parse("h\n\"a\nb\"\nc\n").unwrap();
        assert_eq!(recs.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 2, 4]);
    }

    #[test]
    fn malformed_text_is_refused_with_its_line() {
        let e = parse("a,b\n\"open,c\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("not closed"), "{e}");
        let e = parse("a\n\"q\"x,1\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse("ab\"c\n").unwrap_err();
        assert!(e.message.contains("quote"), "{e}");
    }
}
