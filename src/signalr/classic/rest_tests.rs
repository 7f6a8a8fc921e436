use super::*;

fn props(pairs: &[(&str, &str)]) -> Vec<Property> {
    pairs
        .iter()
        .map(|&(name, value)| Property { name: name.to_owned(), value: Some(value.to_owned()) })
        .collect()
}

#[test]
fn parse_job_accepts_bare_list_object_and_single_row() {
    let bare = br#"[{"Name":"Id","Value":"14"},{"Name":"State","Value":"Finished"}]"#;
    assert_eq!(parse_job(bare).unwrap(), "Finished");
    let object = br#"{"Properties":[{"Name":"state","Value":"Running"}]}"#;
    assert_eq!(parse_job(object).unwrap(), "Running");
    let rows =
        br#"[{"Properties":[{"Name":"Id","Value":"14"},{"Name":"State","Value":"Queued"}]}]"#;
    assert_eq!(parse_job(rows).unwrap(), "Queued");
}

#[test]
fn parse_job_rejects_missing_state_and_many_rows() {
    assert!(parse_job(br#"[{"Name":"Id","Value":"14"}]"#).is_err());
    assert!(parse_job(br#"[{"Name":"State","Value":null}]"#).is_err());
    assert!(parse_job(b"[]").is_err());
    let two = br#"[{"Properties":[{"Name":"State","Value":"A"}]},{"Properties":[]}]"#;
    assert!(parse_job(two).is_err());
    assert!(parse_job(b"<html>").is_err());
}

#[test]
fn parse_task_reads_real_and_bare_task_ids() {
    let real = props(&[
        ("TaskId", "37.3"),
        ("JobTaskId", "3"),
        ("InstanceId", "0"),
        ("State", "Finished"),
    ]);
    let expected = RestTask { task_id: 3, instance_id: 0, state: "Finished".to_owned() };
    assert_eq!(parse_task(&real).unwrap(), expected);
    // Only the dotted id: job.task.instance for a sweep instance.
    let sweep = parse_task(&props(&[("TaskId", "22.1.2"), ("State", "Running")])).unwrap();
    assert_eq!((sweep.task_id, sweep.instance_id), (1, 2));
    let bare = parse_task(&props(&[("TaskId", "5"), ("State", "Queued")])).unwrap();
    assert_eq!((bare.task_id, bare.instance_id), (5, 0));
}

#[test]
fn parse_task_rejects_rows_without_id_or_state() {
    assert!(parse_task(&props(&[("TaskId", "22.x"), ("State", "Running")])).is_err());
    assert!(parse_task(&props(&[("JobTaskId", "1")])).is_err());
}

#[test]
fn job_url_appends_to_base_with_or_without_slash() {
    let with = Url::parse("https://head/hpc/").unwrap();
    let without = Url::parse("https://head/hpc?x=1").unwrap();
    assert_eq!(job_url(&with, 14, &["tasks"]).as_str(), "https://head/hpc/jobs/14/tasks");
    assert_eq!(job_url(&without, 14, &[]).as_str(), "https://head/hpc/jobs/14");
}
