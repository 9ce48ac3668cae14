//! Vector scores as AWS defines them (COSINE 1 - cosine similarity, EUCLIDEAN distance,
//! DOT_PRODUCT dot product), computed in float32 as AWS stores embeddings.

use std::cmp::Ordering;

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distance {
    Cosine,
    Euclidean,
    DotProduct,
}

impl Distance {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "COSINE" => Some(Self::Cosine),
            "EUCLIDEAN" => Some(Self::Euclidean),
            "DOT_PRODUCT" => Some(Self::DotProduct),
            _ => None,
        }
    }

    /// COSINE: 1 - cosine similarity (0 identical .. 2 opposite); EUCLIDEAN: the distance;
    /// DOT_PRODUCT: the dot product. None for a zero vector under COSINE (no direction).
    #[cfg(test)]
    pub fn score(self, a: &[f32], b: &[f32]) -> Option<f32> {
        self.score_with_norms(a, dot(a, a).sqrt(), b, dot(b, b).sqrt())
    }

    /// `score` with both vectors' lengths known (an index keeps them with its vectors).
    pub fn score_with_norms(self, a: &[f32], na: f32, b: &[f32], nb: f32) -> Option<f32> {
        match self {
            Self::DotProduct => Some(dot(a, b)),
            Self::Euclidean => Some(squared_distance(a, b).sqrt()),
            Self::Cosine => {
                if na == 0.0 || nb == 0.0 {
                    return None;
                }
                Some(1.0 - dot(a, b) / (na * nb))
            }
        }
    }

    /// Better scores first: the smallest for COSINE and EUCLIDEAN, the largest for DOT_PRODUCT.
    pub fn order(self, a: f32, b: f32) -> Ordering {
        match self {
            Self::DotProduct => b.total_cmp(&a),
            _ => a.total_cmp(&b),
        }
    }
}

/// Sums `f` over the pairs of `a` and `b` in eight lanes (which the compiler turns into
/// SIMD), then the lanes and the tail: float32 throughout, as AWS computes scores.
fn lanes(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += f(x[i], y[i]);
        }
    }
    let mut sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        sum += f(*x, *y);
    }
    sum
}

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    lanes(a, b, |x, y| x * y)
}

fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    lanes(a, b, |x, y| (x - y) * (x - y))
}

/// A stored vector: a list (`L`) of exactly `dims` numbers (`N`), each a finite float32.
pub fn parse_vector(v: &Value, dims: usize) -> Option<Vec<f32>> {
    let list = v.get("L")?.as_array()?;
    if list.len() != dims {
        return None;
    }
    list.iter()
        .map(|e| {
            e.get("N")?
                .as_str()?
                .parse::<f32>()
                .ok()
                .filter(|f| f.is_finite())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scores_follow_awss_definitions() {
        let a = [1.0, 0.0];
        assert_eq!(Distance::Cosine.score(&a, &[1.0, 0.0]), Some(0.0));
        assert_eq!(Distance::Cosine.score(&a, &[0.0, 1.0]), Some(1.0));
        assert_eq!(Distance::Cosine.score(&a, &[-2.0, 0.0]), Some(2.0));
        assert_eq!(Distance::Cosine.score(&a, &[0.0, 0.0]), None);
        assert_eq!(
            Distance::Euclidean.score(&[0.0, 0.0], &[3.0, 4.0]),
            Some(5.0)
        );
        assert_eq!(
            Distance::DotProduct.score(&[1.0, 2.0], &[3.0, 4.0]),
            Some(11.0)
        );
        // Lower is better except for DOT_PRODUCT.
        assert_eq!(Distance::Cosine.order(0.1, 0.5), Ordering::Less);
        assert_eq!(Distance::Euclidean.order(0.1, 0.5), Ordering::Less);
        assert_eq!(Distance::DotProduct.order(0.1, 0.5), Ordering::Greater);
    }

    #[test]
    fn scores_are_float32() {
        // 0.1 has no exact float32; the product is computed on the rounded values.
        let s = Distance::DotProduct.score(&[0.1], &[0.1]).unwrap();
        assert_eq!(s, 0.1f32 * 0.1f32);
        assert_ne!(s as f64, 0.1f64 * 0.1f64);
    }

    #[test]
    fn only_lists_of_numbers_of_the_right_length_are_vectors() {
        let v = json!({"L": [{"N": "1"}, {"N": "2.5"}]});
        assert_eq!(parse_vector(&v, 2), Some(vec![1.0, 2.5]));
        assert_eq!(parse_vector(&v, 3), None);
        assert_eq!(parse_vector(&json!({"NS": ["1", "2"]}), 2), None);
        assert_eq!(
            parse_vector(&json!({"L": [{"S": "1"}, {"N": "2"}]}), 2),
            None
        );
        assert_eq!(parse_vector(&json!({"L": [{"N": "1e39"}]}), 1), None);
    }
}
