fn main() {
    tastebud_web::start();
}
