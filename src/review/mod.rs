//! Findings + pull-request diff -> a review plan: the inline comments to post, the old comments
//! to mark fixed, the summary comment and the check run's outcome. Pure: it never touches the
//! network; `crate::server` carries the plan to GitHub through `crate::github`.

pub mod connectivity;
mod diff;
mod enforcement;
mod markers;
mod plan;
pub mod policy;
mod render;

pub use diff::{FileDiff, Hunk};
pub use enforcement::{Enforcement, Mode, RolloutStages};
pub use markers::{
    CommentAnchor, FIXED_MARKER, PreviousComment, REVIEW_MARKER, SUMMARY_MARKER,
    parse_previous_comment, summary_head_sha,
};
pub use plan::{
    Annotation, AnnotationLevel, CheckOutcome, Conclusion, FixedComment, InlineComment,
    ReviewConfig, ReviewInput, ReviewPlan, plan_review,
};
pub use render::{failure_check, truncate_body};

/// Link to a rule's guidance page under the review's `docs_base_url`.
pub fn guidance_url(config: &ReviewConfig, rule: &str) -> String {
    render::guidance_page(config, rule)
}

#[cfg(test)]
mod tests;
