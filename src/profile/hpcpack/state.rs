//! HPC Pack job and task state names: the closed sets the scheduler documents, matched
//! case-insensitively, with anything else kept as sent (a newer scheduler may add states).

macro_rules! states {
    ($(#[$doc:meta])* $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name {
            $($variant,)+
            /// A name outside the documented set, as the server sent it.
            Unknown(String),
        }

        impl $name {
            /// The documented state with this name (any case), else [`Self::Unknown`].
            pub fn parse(name: &str) -> $name {
                $(if name.eq_ignore_ascii_case(stringify!($variant)) {
                    return $name::$variant;
                })+
                $name::Unknown(name.to_owned())
            }

            /// The canonical name, or the unknown name as sent.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => stringify!($variant),)+
                    $name::Unknown(name) => name,
                }
            }

            /// The unknown name, if this is one.
            pub fn unknown(&self) -> Option<&str> {
                match self {
                    $name::Unknown(name) => Some(name),
                    _ => None,
                }
            }

            /// Finished, Failed and Canceled end a job or task (until it is requeued).
            pub fn is_terminal(&self) -> bool {
                matches!(self.as_str(), "Finished" | "Failed" | "Canceled")
            }
        }
    };
}

states! {
    /// `Microsoft.Hpc.Scheduler.Properties.JobState`.
    JobState {
        Configuring, Submitted, Validating, ExternalValidation, Queued, Running, Finishing,
        Finished, Failed, Canceled, Canceling,
    }
}

states! {
    /// `Microsoft.Hpc.Scheduler.Properties.TaskState`.
    TaskState {
        Configuring, Submitted, Validating, Queued, Dispatching, Running, Finishing, Finished,
        Failed, Canceled, Canceling,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_matches_any_case_and_keeps_unknown() {
        assert_eq!(JobState::parse("queued"), JobState::Queued);
        assert_eq!(JobState::parse("ExternalValidation").as_str(), "ExternalValidation");
        assert_eq!(TaskState::parse("DISPATCHING"), TaskState::Dispatching);
        // Dispatching is a task state only; ExternalValidation a job state only.
        assert_eq!(JobState::parse("Dispatching").unknown(), Some("Dispatching"));
        assert_eq!(TaskState::parse("ExternalValidation").unknown(), Some("ExternalValidation"));
        assert_eq!(TaskState::parse("Paused").as_str(), "Paused");
    }

    #[test]
    fn terminal_states() {
        for (name, terminal) in
            [("Finished", true), ("failed", true), ("Canceled", true), ("Canceling", false)]
        {
            assert_eq!(JobState::parse(name).is_terminal(), terminal, "{name}");
            assert_eq!(TaskState::parse(name).is_terminal(), terminal, "{name}");
        }
        assert!(!JobState::parse("Running").is_terminal());
    }
}
