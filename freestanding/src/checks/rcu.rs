//! The reclamation domain: register readers, report quiescent states, reclaim.

use alloc::format;

use mempolicy::rcu::Domain;

use super::Checks;

pub(crate) fn run(c: &mut Checks) {
    let domain = Domain::new();
    let other = Domain::new();
    let mut cpu0 = domain.register();
    let mut cpu1 = domain.register();
    c.check("owns", domain.owns(&cpu0) && domain.owns(&cpu1));
    c.check("clone owns", domain.clone().owns(&cpu0));
    c.check("other domain", !other.owns(&cpu0));
    for _ in 0..100 {
        cpu0.quiescent();
        cpu1.quiescent();
        domain.reclaim();
    }
    c.eq("nothing retired", domain.retired(), 0);
    drop(cpu1);
    domain.reclaim();
    cpu0.quiescent();
    c.check("debug", format!("{domain:?}").contains("retired: 0"));
    drop(cpu0);
    domain.reclaim();
    c.eq("retired after drop", domain.retired(), 0);
}
