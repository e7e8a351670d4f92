fn main() {
    #[cfg(target_arch = "wasm32")]
    tastebud_web::start();
}
