use super::*;

fn job(id: i64) -> Target {
    Target::HpcJob { job_id: id }
}

#[test]
fn keys_are_stable_and_name_the_target() {
    assert_eq!(job(17).key().as_str(), "job-17");
    assert_eq!(Target::RedmistEvent { event_id: 42 }.key().as_str(), "event-42");
    let method = |args: Vec<serde_json::Value>| Target::Method {
        classic_hub: None,
        method: "Subscribe".into(),
        arguments: args,
    };
    let a = method(vec![1.into()]).key();
    assert_eq!(a, method(vec![1.into()]).key());
    assert_ne!(a, method(vec![2.into()]).key());
    assert!(a.as_str().starts_with("method-") && a.as_str().len() == 23, "{a}");
}

#[test]
fn display_hides_method_arguments() {
    let t = Target::Method {
        classic_hub: None,
        method: "Join".into(),
        arguments: vec!["secret-code".into()],
    };
    assert_eq!(t.display(), "Join(1 argument(s))");
}

#[test]
fn target_json_is_tagged_and_strict() {
    let t: Target = serde_json::from_str(r#"{"kind":"hpc_job","job_id":5}"#).unwrap();
    assert_eq!(t, job(5));
    assert!(serde_json::from_str::<Target>(r#"{"kind":"hpc_job","job_id":5,"x":1}"#).is_err());
}

#[test]
fn add_is_idempotent_and_watchers_wake() {
    let set = Set::new();
    let mut rx = set.watch();
    assert!(matches!(set.add(job(1), Origin::Api), Added::New(_)));
    assert!(rx.has_changed().unwrap());
    rx.borrow_and_update();
    assert!(matches!(set.add(job(1), Origin::Api), Added::Exists(_)));
    assert!(!rx.has_changed().unwrap(), "no change, no wake-up");
    assert_eq!(set.persisted(), vec![job(1)]);
    assert_eq!(set.outcome(&job(1).key()).last_result, LastResult::Pending);
}

#[test]
fn api_adopts_a_discovered_one_and_only_discovery_removes_its_own() {
    let set = Set::new();
    set.add(job(2), Origin::Discovery);
    assert!(set.persisted().is_empty(), "discovered ones are not persisted");
    let key = job(2).key();
    assert_eq!(set.remove(&key, Origin::Api), Err(RemoveError::Discovered(key.clone())));
    assert!(set.remove(&key, Origin::Discovery).is_ok());
    set.add(job(3), Origin::Discovery);
    assert!(matches!(set.add(job(3), Origin::Api), Added::Exists(e) if e.origin == Origin::Api));
    assert_eq!(set.persisted(), vec![job(3)]);
    let adopted = job(3).key();
    assert_eq!(set.remove(&adopted, Origin::Discovery), Err(RemoveError::Kept(adopted.clone())));
    assert_eq!(
        set.remove(&"job-9".into(), Origin::Api),
        Err(RemoveError::NotFound("job-9".into()))
    );
}

#[test]
fn a_full_set_refuses_more() {
    let set = Set::new();
    for id in 0..MAX_PER_HUB as i64 {
        set.add(job(id), Origin::Api);
    }
    assert_eq!(set.add(job(-1), Origin::Api), Added::Full);
    assert!(matches!(set.add(job(0), Origin::Api), Added::Exists(_)));
}
