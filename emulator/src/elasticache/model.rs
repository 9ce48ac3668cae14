//! The ElastiCache 2015-02-02 API model (botocore JSON, docs stripped), parsed once.

use std::sync::OnceLock;

use crate::protocol::query::QueryModel;

const MODEL_JSON: &str = include_str!("../../models/elasticache.json");

pub fn model() -> &'static QueryModel {
    static MODEL: OnceLock<QueryModel> = OnceLock::new();
    // The model is compiled in and covered by tests, so a parse failure is a build defect.
    MODEL.get_or_init(|| QueryModel::from_json(MODEL_JSON).expect("embedded elasticache model"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn model_has_all_77_operations() {
        assert_eq!(super::model().operation_names().count(), 77);
    }
}
