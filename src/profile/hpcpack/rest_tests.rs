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
fn pages_parse_every_row_or_fail_on_one() {
    let page = br#"[{"Properties":[{"Name":"TaskId","Value":"7.1"},{"Name":"State","Value":"Queued"}]},
                   {"Properties":[{"Name":"TaskId","Value":"7.2"},{"Name":"State","Value":"Running"}]}]"#;
    let ids: Vec<i64> = parse_task_page(page).unwrap().iter().map(|t| t.task_id).collect();
    assert_eq!(ids, [1, 2]);
    assert!(parse_task_page(br#"[{"Properties":[{"Name":"State","Value":"Queued"}]}]"#).is_err());
    let jobs = br#"[{"Properties":[{"Name":"Id","Value":"9"},{"Name":"Owner","Value":"bob"}]}]"#;
    let listed = parse_job_page(jobs).unwrap();
    assert_eq!((listed[0].id, listed[0].owner.as_str(), listed[0].name.as_str()), (9, "bob", ""));
    assert!(parse_job_page(br#"[{"Properties":[{"Name":"Id","Value":"x"}]}]"#).is_err());
    assert!(parse_job_page(b"{}").is_err());
}

#[test]
fn urls_append_to_base_with_or_without_slash() {
    let with = Url::parse("https://head/hpc/").unwrap();
    let without = Url::parse("https://head/hpc?x=1").unwrap();
    let request = ReconcileRequest::new(&with, 14);
    assert_eq!(request.tasks.path(), "/hpc/jobs/14/tasks");
    assert_eq!(
        ReconcileRequest::new(&without, 14).job.as_str(),
        "https://head/hpc/jobs/14?properties=Id%2CState"
    );
    let query = JobQuery { state: "Queued", node_group: Some("GPU"), rows_per_read: 5 };
    let listing = query.url(&without);
    assert_eq!(listing.path(), "/hpc/jobs");
    let filter = listing.query_pairs().find(|(k, _)| k == "$filter").unwrap().1;
    assert_eq!(filter, "JobState eq Queued and NodeGroup eq GPU");
}

#[test]
fn rest_base_strips_signalr_and_query() {
    let base = |u: &str| rest_base(&Url::parse(u).unwrap()).to_string();
    assert_eq!(base("https://head/hpc"), "https://head/hpc");
    assert_eq!(base("https://head/hpc/signalr/?x=1"), "https://head/hpc");
    assert_eq!(base("http://127.0.0.1:8080/hpc/"), "http://127.0.0.1:8080/hpc");
}
