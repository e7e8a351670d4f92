//! The query hot path allocates nothing: once a caller's score buffer, selector and top list have
//! grown, scoring every item and selecting the top 10 make no heap allocation, at every
//! precision. Counted by a global allocator wrapper, so this file is its own test binary.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::{model_of, random_factors};
use tastebud_core::{AlsParams, Precision, Scored, TopK};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn scoring_and_selecting_allocate_nothing_once_warm() {
    let fold_in = AlsParams::new().factors(64).check().unwrap().fold_in();
    for precision in [Precision::F32, Precision::F16, Precision::Int8] {
        let model = model_of(random_factors(5_000, 64, 1.0, 3), fold_in, precision);
        let user = model
            .fold_in(&[(1, 1.0), (900, 2.0), (4_000, 1.0)])
            .unwrap();
        let (mut scores, mut select, mut top) = (Vec::new(), TopK::new(), Vec::new());
        let mut query = |scores: &mut Vec<f32>, top: &mut Vec<Scored>| {
            model.score_into(&user, scores);
            let scored = scores.iter().enumerate().map(|(i, &score)| Scored {
                item: i as u32,
                score,
            });
            select.select_into(scored, 10, top);
        };
        query(&mut scores, &mut top);
        let first = top.clone();
        let before = allocations();
        for _ in 0..20 {
            query(&mut scores, &mut top);
        }
        assert_eq!(allocations() - before, 0, "{precision:?}");
        assert_eq!(top, first);
        assert_eq!(top.len(), 10);
    }
}
