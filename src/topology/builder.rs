//! [`TopologyBuilder`]: collects a machine description and validates it into a [`Topology`].

use alloc::vec;
use alloc::vec::Vec;

use super::machine::{AccessCoordinates, Topology, ZoneSpan, LOCAL_DISTANCE, MAX_CPUS};
use super::performance::{AccessClass, NodePerformance};
use crate::error::{Error, Result};
use crate::gfp::{ZoneType, NR_ZONE_TYPES};
use crate::nodemask::{NodeId, NodeMask};

/// Builds a [`Topology`] (Linux: what `numa_init()`/`x86_numa_init()` and the SRAT, SLIT and
/// HMAT parsers set up at boot).
///
/// Setters only record; [`TopologyBuilder::build`] checks everything and returns
/// [`Error::InvalidTopology`] for inconsistent input:
///
/// * no online node, or an online node that is not possible;
/// * a CPU on a node that is not online, a CPU number at or above [`MAX_CPUS`], or one CPU
///   given two different nodes;
/// * a zone (memory) or access coordinates on a node that is not online;
/// * a zone with more managed than present pages;
/// * a distance table that is not `nr_node_ids × nr_node_ids`, with a diagonal entry other
///   than 10, or an off-diagonal entry of 10 or less (SLIT rules; asymmetric tables are
///   fine).
///
/// A node's memory state (`N_MEMORY`, `N_HIGH_MEMORY`, `N_NORMAL_MEMORY`) is derived from
/// its populated zones, so a "memory node without zones" cannot be described. Possible nodes
/// default to the online nodes. An online node with neither CPUs nor memory is
/// accepted (after memory hot-remove Linux keeps such a node online).
///
/// # Examples
/// ```
/// use mempolicy::gfp::ZoneType;
/// use mempolicy::topology::TopologyBuilder;
/// use mempolicy::NodeId;
/// let (n0, n1) = (NodeId::new(0), NodeId::new(1));
/// let topo = TopologyBuilder::new()
///     .online(n0)
///     .online(n1)
///     .cpu(0, n0)
///     .zone(n0, ZoneType::Dma32, 1 << 20)
///     .zone(n0, ZoneType::Normal, 1 << 20)
///     .zone(n1, ZoneType::Normal, 1 << 21)
///     .distances(&[10, 21, 21, 10])
///     .build()?;
/// assert_eq!(topo.distance(n0, n1), 21);
/// assert_eq!(topo.cpu_nodes().to_string(), "0");
/// assert!(TopologyBuilder::new().online(n0).cpu(0, n1).build().is_err());
/// # Ok::<(), mempolicy::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct TopologyBuilder {
    possible: Option<NodeMask>,
    online: NodeMask,
    cpus: Vec<(u32, NodeId)>,
    zones: Vec<(NodeId, ZoneType, ZoneSpan)>,
    distances: Option<Vec<u8>>,
    access: Vec<(NodeId, AccessCoordinates)>,
    performance: Vec<(NodeId, AccessClass, NodePerformance)>,
}

impl TopologyBuilder {
    /// Returns an empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the possible nodes (Linux: `node_possible_map`); default: the online nodes.
    pub fn possible(mut self, nodes: NodeMask) -> Self {
        self.possible = Some(nodes);
        self
    }

    /// Marks `node` online (Linux: `node_set_online()`).
    pub fn online(mut self, node: NodeId) -> Self {
        self.online.insert(node);
        self
    }

    /// Places `cpu` on `node` (Linux: `numa_set_node()` / `cpu_to_node()`).
    pub fn cpu(mut self, cpu: u32, node: NodeId) -> Self {
        self.cpus.push((cpu, node));
        self
    }

    /// Gives `node` a `zone` of `pages` present pages, all managed.
    pub fn zone(self, node: NodeId, zone: ZoneType, pages: u64) -> Self {
        self.zone_span(
            node,
            zone,
            ZoneSpan {
                present_pages: pages,
                managed_pages: pages,
            },
        )
    }

    /// Gives `node` a `zone` with explicit present and managed pages (a later call for the
    /// same node and zone replaces the earlier one).
    pub fn zone_span(mut self, node: NodeId, zone: ZoneType, span: ZoneSpan) -> Self {
        self.zones.push((node, zone, span));
        self
    }

    /// Sets the distance table: `nr_node_ids × nr_node_ids` bytes, row-major (row = from
    /// node, column = to node), like ACPI SLIT's `entry[]`.
    pub fn distances(mut self, table: &[u8]) -> Self {
        self.distances = Some(table.to_vec());
        self
    }

    /// Sets the access coordinates of `node` (Linux: HMAT `node_set_perf_attrs()`).
    pub fn access(mut self, node: NodeId, coordinates: AccessCoordinates) -> Self {
        self.access.push((node, coordinates));
        self
    }

    /// Sets what Linux registers for `node` in access class `class` (Linux:
    /// `node_set_perf_attrs()` and `register_memory_node_under_compute_node()`). For
    /// [`AccessClass::Cpu`] this also sets the node's access coordinates, as
    /// [`TopologyBuilder::access`] does; a later call for the same node and class wins.
    pub fn performance(
        mut self,
        node: NodeId,
        class: AccessClass,
        performance: NodePerformance,
    ) -> Self {
        if class == AccessClass::Cpu {
            self.access.push((node, performance.coordinates));
        }
        self.performance.push((node, class, performance));
        self
    }

    /// Validates the description and returns the topology.
    ///
    /// # Errors
    /// [`Error::InvalidTopology`] for the inconsistencies listed on [`TopologyBuilder`].
    pub fn build(self) -> Result<Topology> {
        let online = self.online;
        let possible = self.possible.unwrap_or(online);
        let Some(last_possible) = possible.last() else {
            return Err(Error::InvalidTopology("no online node"));
        };
        if online.is_empty() {
            return Err(Error::InvalidTopology("no online node"));
        }
        if !online.is_subset(&possible) {
            return Err(Error::InvalidTopology("an online node is not possible"));
        }
        let nr_node_ids = last_possible.index() + 1;

        let cpu_node = cpu_map(&self.cpus, &online)?;
        let mut has_cpu = NodeMask::new();
        cpu_node.iter().flatten().for_each(|n| has_cpu.insert(*n));

        let mut zones = vec![[ZoneSpan::default(); NR_ZONE_TYPES]; nr_node_ids];
        for &(node, zone, span) in &self.zones {
            if !online.contains(node) {
                return Err(Error::InvalidTopology(
                    "memory on a node that is not online",
                ));
            }
            if span.managed_pages > span.present_pages {
                return Err(Error::InvalidTopology(
                    "a zone manages more pages than it has",
                ));
            }
            let slot = zones
                .get_mut(node.index())
                .and_then(|spans| spans.get_mut(zone.index()));
            if let Some(slot) = slot {
                *slot = span;
            }
        }

        let distances = match self.distances {
            None => Vec::new(),
            Some(table) => {
                check_distances(&table, nr_node_ids)?;
                table
            }
        };

        let mut access = vec![None; nr_node_ids];
        for &(node, coordinates) in &self.access {
            if !online.contains(node) {
                return Err(Error::InvalidTopology(
                    "access coordinates for a node that is not online",
                ));
            }
            if let Some(slot) = access.get_mut(node.index()) {
                *slot = Some(coordinates);
            }
        }

        let mut performance = vec![[None; 2]; nr_node_ids];
        for &(node, class, value) in &self.performance {
            if !online.contains(node) {
                return Err(Error::InvalidTopology(
                    "access coordinates for a node that is not online",
                ));
            }
            let slot = performance
                .get_mut(node.index())
                .and_then(|classes| classes.get_mut(class.index()));
            if let Some(slot) = slot {
                *slot = Some(value);
            }
        }

        let (mut memory, mut high_memory, mut normal_memory) =
            (NodeMask::new(), NodeMask::new(), NodeMask::new());
        let mut policy_zone = ZoneType::Dma;
        for (index, spans) in zones.iter().enumerate() {
            let node = NodeId::try_new(index as u64)?;
            for zone in ZoneType::ALL {
                if !spans.get(zone.index()).is_some_and(ZoneSpan::is_populated) {
                    continue;
                }
                memory.insert(node);
                if zone <= ZoneType::HighMem {
                    high_memory.insert(node);
                }
                if zone <= ZoneType::Normal {
                    normal_memory.insert(node);
                }
                if zone != ZoneType::Movable && zone > policy_zone {
                    policy_zone = zone;
                }
            }
        }

        Ok(Topology {
            possible,
            online,
            has_cpu,
            memory,
            high_memory,
            normal_memory,
            nr_node_ids,
            cpu_node,
            distances,
            zones,
            access,
            performance,
            policy_zone,
        })
    }
}

/// Returns the CPU → node map, checking each CPU's number and node.
fn cpu_map(cpus: &[(u32, NodeId)], online: &NodeMask) -> Result<Vec<Option<NodeId>>> {
    // Counted in `u64`: `cpu + 1` cannot wrap there, whatever the width of `usize` (on a
    // 32-bit target, `u32::MAX as usize + 1` would wrap to 0 and pass the check below).
    let nr_cpu_ids = cpus
        .iter()
        .map(|&(cpu, _)| u64::from(cpu) + 1)
        .max()
        .unwrap_or(0);
    let too_large = Error::InvalidTopology("cpu number too large");
    let nr_cpu_ids = match usize::try_from(nr_cpu_ids) {
        Ok(n) if n <= MAX_CPUS => n,
        _ => return Err(too_large),
    };
    let mut map = vec![None; nr_cpu_ids];
    for &(cpu, node) in cpus {
        if !online.contains(node) {
            return Err(Error::InvalidTopology("cpu on a node that is not online"));
        }
        if let Some(slot) = usize::try_from(cpu).ok().and_then(|i| map.get_mut(i)) {
            match *slot {
                Some(other) if other != node => {
                    return Err(Error::InvalidTopology("cpu placed on two nodes"));
                }
                _ => *slot = Some(node),
            }
        }
    }
    Ok(map)
}

/// Checks a SLIT-style table: size, diagonal exactly 10, every other entry above 10.
fn check_distances(table: &[u8], nr_node_ids: usize) -> Result<()> {
    // nr_node_ids <= MAX_NUMNODES (it comes from a NodeMask), so the product cannot overflow.
    if table.len() != nr_node_ids * nr_node_ids {
        return Err(Error::InvalidTopology(
            "distance table size does not match nr_node_ids",
        ));
    }
    for (i, row) in table.chunks_exact(nr_node_ids).enumerate() {
        for (j, &d) in row.iter().enumerate() {
            if i == j && d != LOCAL_DISTANCE {
                return Err(Error::InvalidTopology("distance to self is not 10"));
            }
            if i != j && d <= LOCAL_DISTANCE {
                return Err(Error::InvalidTopology(
                    "distance to another node is not above 10",
                ));
            }
        }
    }
    Ok(())
}
