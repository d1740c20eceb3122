use super::*;

#[test]
fn floats_format_like_go() {
    assert_eq!(format_float(2.5), "2.5");
    assert_eq!(format_float(1.0), "1");
    assert_eq!(format_float(1e6), "1e+06");
    assert_eq!(format_float(123456.0), "123456");
    assert_eq!(format_float(0.0001), "0.0001");
    assert_eq!(format_float(0.00001), "1e-05");
    assert_eq!(format_float(-1.5e-7), "-1.5e-07");
    assert_eq!(format_float(1e21), "1e+21");
    assert_eq!(format_float32(0.3), "0.3");
    assert_eq!(format_float32(0.1), "0.1");
}
