use super::*;
use crate::subs::Set;

fn job(id: i64) -> Target {
    Target::HpcJob { job_id: id }
}

fn keys(keys: &[Key]) -> Vec<&str> {
    keys.iter().map(Key::as_str).collect()
}

fn desired(discovered: &[i64], api: &[i64]) -> std::sync::Arc<Desired> {
    let set = Set::new();
    for id in discovered {
        set.add(job(*id), Origin::Discovery);
    }
    for id in api {
        set.add(job(*id), Origin::Api);
    }
    set.desired()
}

#[test]
fn new_ones_are_added_up_to_the_limit_and_the_rest_wait() {
    let mut missing = HashMap::new();
    let now = Instant::now();
    let found = [job(1), job(2), job(3), job(4)];
    let plan = plan(&desired(&[1], &[2]), &found, 2, &mut missing, now, None);
    // Job 1 is followed (1 of 2), job 2 is the API's (not counted), so one more fits.
    assert_eq!(plan.add, [job(3)]);
    assert_eq!(plan.waiting, 1);
    assert!(plan.remove.is_empty());
}

#[test]
fn missing_ones_go_at_once_without_linger() {
    let mut missing = HashMap::new();
    let plan = plan(&desired(&[1, 2], &[3]), &[job(2)], 10, &mut missing, Instant::now(), None);
    assert_eq!(keys(&plan.remove), ["job-1"], "the API's job 3 is not discovery's to remove");
    assert!(missing.is_empty());
}

#[test]
fn missing_jobs_linger_then_go_and_a_return_resets_the_clock() {
    let linger = Some(Duration::from_secs(300));
    let mut missing = HashMap::new();
    let t0 = Instant::now();
    let set = desired(&[1], &[]);
    assert!(plan(&set, &[], 10, &mut missing, t0, linger).remove.is_empty());
    let later = t0 + Duration::from_secs(100);
    assert!(plan(&set, &[job(1)], 10, &mut missing, later, linger).remove.is_empty());
    assert!(missing.is_empty(), "listed again: no longer missing");
    let t1 = t0 + Duration::from_secs(200);
    assert!(plan(&set, &[], 10, &mut missing, t1, linger).remove.is_empty());
    let gone = plan(&set, &[], 10, &mut missing, t1 + Duration::from_secs(300), linger);
    assert_eq!(keys(&gone.remove), ["job-1"]);
    assert!(missing.is_empty());
}

#[test]
fn a_removed_entry_is_forgotten_by_the_missing_clock() {
    let mut missing = HashMap::new();
    missing.insert(job(7).key(), Instant::now());
    plan(&desired(&[], &[]), &[], 10, &mut missing, Instant::now(), Some(Duration::ZERO));
    assert!(missing.is_empty());
}
